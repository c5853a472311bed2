"""What each viewer may see of a sharing review. Used by pages and the API alike.

Everyone sees the state, dates, the dataset, the agencies, the obstacle kinds, the authorities,
the public reason and the decision. Only those allowed (``can_see_review_internals``) see the
reviewer, internal notes, comments and the reasons given on each transition.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from catalog.models import LegalAuthority, SharingReview, User
from catalog.services.reviews import allowed_transitions, can_see_review_internals, today_or_clock


def present_authority(authority: LegalAuthority) -> dict[str, Any]:
    return {
        "code": authority.code,
        "citation": authority.citation,
        "name": authority.name,
        "summary": authority.summary,
        "obstacle_kinds": list(authority.obstacle_kinds or []),
        "resolutions": list(authority.resolutions or []),
    }


def present_review(
    review: SharingReview,
    viewer: User | None,
    *,
    today: date | None = None,
    detail: bool = False,
) -> dict[str, Any]:
    day = today_or_clock(today)
    internal = can_see_review_internals(viewer, review)
    data: dict[str, Any] = {
        "id": review.id,
        "dataset": {
            "id": review.dataset.id,
            "title": review.dataset.title,
            "agency": review.dataset.agency.code,
            "accessLevel": review.dataset.access_level,
        },
        "requesting_agency": review.requesting_agency.code if review.requesting_agency else None,
        "purpose": review.purpose,
        "obstacle_kinds": list(review.obstacle_kinds or []),
        "authorities": [
            {"code": a.code, "citation": a.citation, "name": a.name} for a in review.authorities
        ],
        "public_reason": review.public_reason,
        "state": review.state,
        "state_label": review.state_label,
        "opened_on": review.opened_on.isoformat(),
        "state_entered_on": review.state_entered_on.isoformat(),
        "due_on": review.due_on.isoformat() if review.due_on else None,
        "overdue": review.is_overdue(day),
        "days_overdue": (day - review.due_on).days if review.is_overdue(day) else 0,
        "decision": review.decision,
        "decided_on": review.decided_on.isoformat() if review.decided_on else None,
        "agreements": sorted(a.id for a in review.agreements),
        "allowed_transitions": list(allowed_transitions(review)),
    }
    if detail:
        data["history"] = [
            {
                "from": t.from_state,
                "to": t.to_state,
                "on": t.on_date.isoformat(),
                **({"reason": t.reason, "by": t.actor_label} if internal else {}),
            }
            for t in review.transitions
        ]
    if internal:
        data["reviewer"] = review.reviewer.email if review.reviewer else None
        data["opened_by"] = review.opened_by
        data["internal_notes"] = review.internal_notes
        if detail:
            data["comments"] = [
                {
                    "id": c.id,
                    "author": c.author_label,
                    "body": c.body,
                    "created": c.created_at.replace(microsecond=0).isoformat() + "Z",
                }
                for c in review.comments
            ]
    return data


def sharing_reviews_for(session: Any, dataset: Any, viewer: User | None) -> list[dict[str, Any]]:
    """The ``sharing_reviews`` of a dataset's API document (seam for GET /api/v1/datasets/<id>)."""
    from catalog.services.review_queries import reviews_for_dataset

    return [present_review(r, viewer) for r in reviews_for_dataset(session, dataset.id)]
