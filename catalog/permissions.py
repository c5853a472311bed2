"""Who may do what. Pure functions of the acting user and the record; no request access."""

from __future__ import annotations

from catalog.models import Dataset, HarvestSource, User


def can_edit_agency(user: User | None, agency_id: int) -> bool:
    """Stewards edit their own agencies' records; the CDO and admins edit everywhere."""
    if user is None or not user.is_active:
        return False
    if user.is_cdo_or_admin:
        return True
    return agency_id in user.agency_ids


def can_see_internal(user: User | None, dataset: Dataset) -> bool:
    """Governance details and non-public access paths: the dataset's stewards, the CDO, admins."""
    return can_edit_agency(user, dataset.agency_id)


def can_manage_source(user: User | None, source: HarvestSource) -> bool:
    """Upload to a harvest source and read its annotated spreadsheets: the stewards of the
    source's default agency, the CDO and admins (a source without an agency: CDO and admins)."""
    if user is None or not user.is_active:
        return False
    if user.is_cdo_or_admin:
        return True
    return source.agency_code is not None and source.agency_code in {
        agency.code for agency in user.agencies
    }


def can_run_source(user: User | None, source: HarvestSource) -> bool:
    """Press "Run now" (queue a harvest): the same people who manage the source's uploads."""
    return can_manage_source(user, source)


def can_edit_sources(user: User | None) -> bool:
    """Add, edit, pause and remove harvest sources: the CDO and admins."""
    return user is not None and user.is_active and user.is_cdo_or_admin
