"""A steward of one agency asks for another agency's non-public dataset: what for, which
fields, for which period. The request opens a sharing review for the owning agency, with the
requesting agency and the requester named, so it follows the plan's review timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput, NotFound, PermissionDenied
from catalog.models import AccessRequest, Agency, Dataset, User
from catalog.models.review import OBSTACLE_KINDS
from catalog.services.audit import record_event
from catalog.services.reviews import open_review

MAX_FIELDS = 200


def requesting_agencies(user: User | None, dataset: Dataset) -> list[Agency]:
    """The agencies on whose behalf ``user`` may ask for ``dataset``: their own, but not the one
    holding it. Empty for public datasets, anonymous users and the dataset's own stewards."""
    if user is None or not user.is_active or dataset.access_level == "public":
        return []
    return [a for a in user.agencies if a.id != dataset.agency_id]


def request_access(
    session: Session,
    actor: User,
    dataset_id: str,
    *,
    agency_code: str | None,
    purpose: str,
    fields: Iterable[str] = (),
    period_start: date | None = None,
    period_end: date | None = None,
    obstacle_kinds: Iterable[str] = ("legal",),
) -> AccessRequest:
    """Record the request and open the sharing review it needs. Audited (``access.request``)."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {dataset_id!r}.")
    options = requesting_agencies(actor, dataset)
    if not options:
        raise PermissionDenied(
            "Access requests are for stewards of another agency, about non-public datasets."
        )
    code = (agency_code or (options[0].code if len(options) == 1 else "")).strip().upper()
    agency = next((a for a in options if a.code == code), None)
    errors: dict[str, list[str]] = {}
    if agency is None:
        errors["agency"] = [f"Choose one of: {', '.join(a.code for a in options)}."]
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = ["Say what the data is needed for."]
    elif len(purpose) > 5_000:
        errors["purpose"] = ["Keep the purpose under 5,000 characters."]
    names = [str(f).strip() for f in fields if str(f).strip()]
    if len(names) > MAX_FIELDS or any(len(n) > 200 for n in names):
        errors["fields"] = [f"List at most {MAX_FIELDS} fields, each under 200 characters."]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = ["The period cannot end before it starts."]
    kinds = [k for k in obstacle_kinds if k] or ["legal"]
    if set(kinds) - set(OBSTACLE_KINDS):
        errors["obstacle_kinds"] = [f"One of {', '.join(OBSTACLE_KINDS)}."]
    if errors:
        raise InvalidInput(errors)
    assert agency is not None
    period = _period_words(period_start, period_end)
    summary = (
        f"Access requested by {actor.email} for {agency.name} ({agency.code}): {purpose}"
        f"\nFields: {', '.join(names) if names else 'all'}\nPeriod: {period}"
    )
    review = open_review(
        session,
        dataset.id,
        actor,
        purpose=summary,
        public_reason=dataset.rights
        or f"Not public; a request from {agency.name} is being reviewed.",
        obstacle_kinds=kinds,
        requesting_agency_code=agency.code,
        access_request=True,
    )
    request = AccessRequest(
        dataset=dataset,
        requesting_agency=agency,
        requester_id=actor.id,
        requester=actor.email,
        purpose=purpose,
        fields=names,
        period_start=period_start,
        period_end=period_end,
        review=review,
    )
    session.add(request)
    session.flush()
    record_event(
        session, actor, "access.request", "dataset", dataset.id, None,
        {"request": request.id, "review": review.id, "requesting_agency": agency.code,
         "purpose": purpose, "fields": names, "period": period},
    )  # fmt: skip
    return request


def _period_words(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{start.isoformat()} to {end.isoformat()}"
    if start:
        return f"from {start.isoformat()}"
    if end:
        return f"until {end.isoformat()}"
    return "not limited"


def requests_by(session: Session, user: User) -> list[AccessRequest]:
    """Requests made by the user's agencies, newest first."""
    ids = user.agency_ids
    if not ids:
        return []
    return list(
        session.scalars(
            select(AccessRequest)
            .where(AccessRequest.requesting_agency_id.in_(ids))
            .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())
            .limit(200)
        )
    )
