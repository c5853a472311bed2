"""Data-sharing agreements: record them, check them against CGS § 4-67aa, flag expiring ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import InvalidInput, NotFound, PermissionDenied
from catalog.models import Agency, Dataset, DataSharingAgreement, SharingReview, User
from catalog.permissions import can_edit_agency
from catalog.services import reviews as review_service
from catalog.services.audit import diff, record_event
from catalog.services.review_config import get_clauses, get_timeline


def _resolve(
    session: Session,
    *,
    title: str,
    purpose: str,
    party_codes: Iterable[str],
    effective_on: date | None,
    expires_on: date | None,
    dataset_ids: Iterable[str],
    clauses: Iterable[str],
    review_ids: Iterable[int],
    document_url: str | None,
) -> dict[str, Any]:
    """Check an agreement's fields; return the resolved values or raise ``InvalidInput``."""
    errors: dict[str, list] = {}
    title, purpose = (title or "").strip(), (purpose or "").strip()
    if not title:
        errors["title"] = ["Give the agreement a title."]
    if not purpose:
        errors["purpose"] = ["State the permitted purposes."]
    codes = sorted({c.strip().upper() for c in party_codes if c and c.strip()})
    parties = list(session.scalars(select(Agency).where(Agency.code.in_(codes)))) if codes else []
    if len(parties) != len(codes):
        missing = sorted(set(codes) - {a.code for a in parties})
        errors["parties"] = [f"Unknown agency codes: {', '.join(missing)}."]
    elif len(parties) < 2:
        errors["parties"] = ["An agreement between agencies has at least two parties."]
    if effective_on is None:
        errors["effective_on"] = ["Give the date the agreement takes effect."]
    elif expires_on is not None and expires_on < effective_on:
        errors["expires_on"] = ["The agreement cannot expire before it takes effect."]
    ids = sorted(set(dataset_ids))
    datasets = list(session.scalars(select(Dataset).where(Dataset.id.in_(ids)))) if ids else []
    if len(datasets) != len(ids):
        errors["datasets"] = [
            f"Unknown datasets: {', '.join(set(ids) - {d.id for d in datasets})}."
        ]
    party_ids = {a.id for a in parties}
    outside = [d.title for d in datasets if d.agency_id not in party_ids]
    if outside and "parties" not in errors:
        errors["datasets"] = [f"Held by an agency that is not a party: {'; '.join(outside)}."]
    known = {c.code for c in get_clauses()}
    clause_codes = {c.strip() for c in clauses if c and c.strip()}
    if clause_codes - known:
        errors["clauses"] = [f"Unknown clauses: {', '.join(sorted(clause_codes - known))}."]
    document_url = (document_url or "").strip() or None
    if document_url and not document_url.lower().startswith(("https://", "http://")):
        errors["document_url"] = ["Give an http(s) address."]
    rids = sorted({int(r) for r in review_ids})
    linked = (
        list(session.scalars(select(SharingReview).where(SharingReview.id.in_(rids))))
        if rids
        else []
    )
    if len(linked) != len(rids):
        errors["reviews"] = ["Some reviews do not exist."]
    if errors:
        raise InvalidInput(errors)
    return {
        "title": title,
        "purpose": purpose,
        "effective_on": effective_on,
        "expires_on": expires_on,
        "clauses": {code: code in clause_codes for code in sorted(known)},
        "document_url": document_url,
        "parties": parties,
        "datasets": datasets,
        "reviews": linked,
    }


def can_edit_agreement(actor: User | None, parties: Iterable[Agency]) -> bool:
    """The CDO, or a steward of one of the parties."""
    if actor is None or not actor.is_active:
        return False
    return actor.is_cdo_or_admin or any(can_edit_agency(actor, a.id) for a in parties)


def create_agreement(
    session: Session,
    actor: User,
    *,
    title: str,
    purpose: str,
    party_codes: Iterable[str],
    effective_on: date | None,
    expires_on: date | None = None,
    dataset_ids: Iterable[str] = (),
    clauses: Iterable[str] = (),
    review_ids: Iterable[int] = (),
    document_url: str | None = None,
    internal_notes: str | None = None,
) -> DataSharingAgreement:
    """Record an agreement. The CDO, or a steward of one of the parties, may record it.

    ``clauses`` are the codes of the CGS § 4-67aa provisions the agreement contains.
    """
    values = _resolve(
        session, title=title, purpose=purpose, party_codes=party_codes,
        effective_on=effective_on, expires_on=expires_on, dataset_ids=dataset_ids,
        clauses=clauses, review_ids=review_ids, document_url=document_url,
    )  # fmt: skip
    if not can_edit_agreement(actor, values["parties"]):
        raise PermissionDenied("Only the CDO or a steward of a party records an agreement.")
    agreement = DataSharingAgreement(
        **values, internal_notes=(internal_notes or "").strip() or None, created_by=actor.email
    )
    session.add(agreement)
    session.flush()
    record_event(
        session, actor, "agreement.create", "sharing_agreement", agreement.id, None,
        present_agreement(agreement, internal=True),
    )  # fmt: skip
    return agreement


def update_agreement(
    session: Session,
    agreement_id: int,
    actor: User,
    *,
    title: str,
    purpose: str,
    party_codes: Iterable[str],
    effective_on: date | None,
    expires_on: date | None = None,
    dataset_ids: Iterable[str] = (),
    clauses: Iterable[str] = (),
    review_ids: Iterable[int] = (),
    document_url: str | None = None,
    internal_notes: str | None = None,
) -> DataSharingAgreement:
    """Change an agreement (the CDO, or a steward of a party before and after the change)."""
    agreement = get_agreement(session, agreement_id)
    if not can_edit_agreement(actor, agreement.parties):
        raise PermissionDenied("Only the CDO or a steward of a party edits an agreement.")
    values = _resolve(
        session, title=title, purpose=purpose, party_codes=party_codes,
        effective_on=effective_on, expires_on=expires_on, dataset_ids=dataset_ids,
        clauses=clauses, review_ids=review_ids, document_url=document_url,
    )  # fmt: skip
    if not can_edit_agreement(actor, values["parties"]):
        raise PermissionDenied("Only the CDO or a steward of a party edits an agreement.")
    before = present_agreement(agreement, internal=True)
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.internal_notes = (internal_notes or "").strip() or None
    session.flush()
    old, new = diff(before, present_agreement(agreement, internal=True))
    if new:
        record_event(
            session, actor, "agreement.update", "sharing_agreement", agreement.id, old, new
        )
    return agreement


def renew_agreement(
    session: Session,
    agreement_id: int,
    actor: User,
    expires_on: date | None,
    *,
    today: date | None = None,
) -> DataSharingAgreement:
    """Extend an agreement to a later expiry date (None: no expiry); the day is recorded."""
    agreement = get_agreement(session, agreement_id)
    if not can_edit_agreement(actor, agreement.parties):
        raise PermissionDenied("Only the CDO or a steward of a party renews an agreement.")
    day = review_service.today_or_clock(today)
    if expires_on is not None:
        floor = max(agreement.expires_on or agreement.effective_on, day)
        if expires_on <= floor:
            raise InvalidInput(
                {"expires_on": [f"A renewal runs past {floor.isoformat()}; give a later date."]}
            )
    before = {"expires_on": agreement.expires_on, "renewed_on": agreement.renewed_on}
    agreement.expires_on = expires_on
    agreement.renewed_on = day
    session.flush()
    record_event(
        session, actor, "agreement.renew", "sharing_agreement", agreement.id, before,
        {"expires_on": expires_on, "renewed_on": day},
    )  # fmt: skip
    return agreement


def get_agreement(session: Session, agreement_id: int) -> DataSharingAgreement:
    agreement = session.get(DataSharingAgreement, agreement_id)
    if agreement is None:
        raise NotFound(f"No agreement with id {agreement_id!r}.")
    return agreement


def list_agreements(
    session: Session,
    *,
    agency: str | None = None,
    expiring: bool = False,
    today: date | None = None,
) -> list[DataSharingAgreement]:
    """Agreements, soonest expiry first; ``expiring`` keeps those flagged as expiring."""
    query = (
        select(DataSharingAgreement)
        .options(
            selectinload(DataSharingAgreement.datasets).lazyload(Dataset.distributions),
            selectinload(DataSharingAgreement.reviews),
        )
        .order_by(
            DataSharingAgreement.expires_on.is_(None),
            DataSharingAgreement.expires_on,
            DataSharingAgreement.id,
        )
    )
    if agency:
        query = query.where(DataSharingAgreement.parties.any(Agency.code == agency.upper()))
    rows = list(session.scalars(query))
    if expiring:
        day = review_service.today_or_clock(today)
        rows = [a for a in rows if is_expiring(a, day)]
    return rows


def is_expiring(agreement: DataSharingAgreement, today: date) -> bool:
    """In effect and expiring within the warning window (60 days by default)."""
    return agreement.expiring_within(today, get_timeline().agreement_expiry_warning_days)


def missing_clauses(agreement: DataSharingAgreement) -> list[str]:
    return [c.code for c in get_clauses() if not (agreement.clauses or {}).get(c.code)]


def present_agreement(
    agreement: DataSharingAgreement, *, internal: bool = False, today: date | None = None
) -> dict[str, Any]:
    """An agreement as JSON; internal notes only when ``internal``."""
    day = review_service.today_or_clock(today)
    data: dict[str, Any] = {
        "id": agreement.id,
        "title": agreement.title,
        "purpose": agreement.purpose,
        "parties": [a.code for a in agreement.parties],
        "datasets": [{"id": d.id, "title": d.title} for d in agreement.datasets],
        "effective_on": agreement.effective_on.isoformat(),
        "expires_on": agreement.expires_on.isoformat() if agreement.expires_on else None,
        "in_effect": agreement.in_effect(day),
        "expiring_soon": is_expiring(agreement, day),
        "days_to_expiry": (agreement.expires_on - day).days if agreement.expires_on else None,
        "clauses": [
            {"code": c.code, "text": c.text, "present": bool((agreement.clauses or {}).get(c.code))}
            for c in get_clauses()
        ],
        "missing_clauses": missing_clauses(agreement),
        "reviews": sorted(r.id for r in agreement.reviews),
        "document_url": agreement.document_url,
        "renewed_on": agreement.renewed_on.isoformat() if agreement.renewed_on else None,
    }
    if internal:
        data["internal_notes"] = agreement.internal_notes
        data["created_by"] = agreement.created_by
    return data
