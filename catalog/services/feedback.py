"""Public feedback on the plan and on datasets, and the CDO's triage of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from catalog.guards.cells import csv_row
from catalog.models import Dataset, Feedback, PlanVersion, User
from catalog.models._common import utcnow
from catalog.models.plan import FEEDBACK_STATUSES
from catalog.schemas.plan import FeedbackInputSchema
from catalog.services.audit import record_event
from catalog.services.plan import (
    accepts_comments,
    can_manage_plan,
    get_version,
    open_versions,
    plan_today,
)

CONTACT_FIELDS = ("name", "email", "organisation")
ELEMENT_KINDS = {"principle": "principles", "goal": "goals", "focal_point": "focal_points"}


class CommentWindowClosed(ServiceError):
    """Feedback sent outside the plan version's comment window; nothing is stored."""

    status = 403


def window_message(version: PlanVersion, today: date) -> str | None:
    """Why ``version`` refuses comments on ``today``, or None when it accepts them."""
    if accepts_comments(version, today):
        return None
    if not version.is_public:
        return f"{version.title} is a draft, not open for public comment."
    if version.comment_opens is None and version.comment_closes is None:
        return f"{version.title} is not open for public comment. Your comment was not stored."
    if version.comment_opens is not None and today < version.comment_opens:
        return (
            f"Public comment on {version.title} opens on {_day(version.comment_opens)}. "
            "Your comment was not stored."
        )
    return (
        f"Public comment on {version.title} closed on {_day(version.comment_closes)}. "
        "Your comment was not stored."
    )


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def submit_feedback(
    session: Session, payload: dict[str, Any], *, today: date | None = None
) -> Feedback | None:
    """Store a public comment if the plan version's window is open on ``today``.

    Every field is optional, but an entirely empty submission is refused. ``plan`` defaults to the
    newest version open for comment. Raises ``CommentWindowClosed`` (nothing stored) otherwise.
    """
    today = today or plan_today()
    try:
        data = FeedbackInputSchema().load(payload)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None  # type: ignore[arg-type]
    if data["plan"]:
        version = get_version(session, data["plan"])
    else:
        versions = open_versions(session, today)
        if not versions:
            raise CommentWindowClosed(
                "No version of the plan is open for public comment right now. "
                "Your comment was not stored."
            )
        version = versions[0]
    message = window_message(version, today)
    if message:
        raise CommentWindowClosed(message, {"plan": [message]})
    kind, _, key = (data["target"] or "general").partition(":")
    key = key.strip() or None
    _check_target(session, version, kind, key)
    if not any(data.get(name) for name in (*CONTACT_FIELDS, "comment")):
        raise InvalidInput({"comment": ["Write a comment (or leave contact details) to send."]})
    feedback = Feedback(
        version=version,
        target_kind=kind,
        target_key=key if kind != "general" else None,
        status="new",
        publish_consent=bool(data["publish_consent"] and data.get("comment")),
        publish_name=bool(data["publish_consent"] and data["publish_name"] and data.get("name")),
        **{name: data.get(name) for name in (*CONTACT_FIELDS, "comment")},
    )
    session.add(feedback)
    session.flush()
    # Contact details stay out of the audit trail; the record itself holds them.
    record_event(
        session,
        "public",
        "feedback.create",
        "feedback",
        feedback.id,
        None,
        {
            "plan": version.key,
            "target": data["target"],
            "status": "new",
            "publish_consent": feedback.publish_consent,
        },
    )
    return feedback


def _check_target(session: Session, version: PlanVersion, kind: str, key: str | None) -> None:
    if kind == "general":
        return
    if not key:
        raise InvalidInput({"target": ["Say which element or dataset the comment is about."]})
    if kind == "dataset":
        if session.get(Dataset, key) is None:
            raise InvalidInput({"target": ["No such dataset."]})
        return
    elements = getattr(version, ELEMENT_KINDS[kind])
    if not any(element.key == key and not element.retired for element in elements):
        raise InvalidInput({"target": [f"{version.title} has no {kind.replace('_', ' ')} {key}."]})


def set_feedback_status(session: Session, feedback_id: int, status: str, actor: User) -> Feedback:
    """Triage: mark a comment new, read or answered (CDO and admins). Audited."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin triages feedback.")
    if status not in FEEDBACK_STATUSES:
        raise InvalidInput({"status": [f"Must be one of: {', '.join(FEEDBACK_STATUSES)}."]})
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound(f"No feedback {feedback_id}.")
    if feedback.status != status:
        before = {"status": feedback.status}
        feedback.status = status
        record_event(
            session, actor, "feedback.status", "feedback", feedback.id, before, {"status": status}
        )
    session.flush()
    return feedback


def answer_feedback(
    session: Session, feedback_id: int, reply: str | None, publish: bool, actor: User
) -> Feedback:
    """The CDO's answer to a comment, and whether the pair is published under the plan element
    it concerns. Publishing needs the commenter's consent; the name only shows if they agreed."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin answers feedback.")
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound(f"No feedback {feedback_id}.")
    text = (reply or "").strip() or None
    if text is not None and len(text) > 10_000:
        raise InvalidInput({"reply": ["Keep the answer under 10,000 characters."]})
    if publish and not feedback.publish_consent:
        raise InvalidInput(
            {"publish": ["The commenter did not agree to publication; answer privately."]}
        )
    if publish and text is None and feedback.reply is None:
        raise InvalidInput({"reply": ["Write the answer to publish with the comment."]})
    before = {"reply": feedback.reply, "published": feedback.published, "status": feedback.status}
    if text is not None:
        feedback.reply = text
        feedback.replied_at = utcnow()
        feedback.replied_by_id = actor.id
        feedback.status = "answered"
    feedback.published = bool(publish)
    after = {"reply": feedback.reply, "published": feedback.published, "status": feedback.status}
    if before != after:
        session.flush()
        record_event(session, actor, "feedback.reply", "feedback", feedback.id, before, after)
    return feedback


def published_feedback(session: Session, version: PlanVersion) -> dict[str, list[Feedback]]:
    """Published comments with their answers, by the element they concern: ``"general"``,
    ``"principle:P3"``, ``"goal:G1"``, ``"focal_point:F1"``; oldest first."""
    rows = session.scalars(
        select(Feedback)
        .where(
            Feedback.version_id == version.id,
            Feedback.published.is_(True),
            Feedback.publish_consent.is_(True),
        )
        .order_by(Feedback.created_at, Feedback.id)
    )
    grouped: dict[str, list[Feedback]] = {}
    for row in rows:
        target = (
            row.target_kind
            if row.target_kind == "general"
            else f"{row.target_kind}:{row.target_key}"
        )
        grouped.setdefault(target, []).append(row)
    return grouped


def list_feedback(
    session: Session,
    actor: User,
    *,
    status: str | None = None,
    plan_key: str | None = None,
    limit: int | None = 200,
) -> list[Feedback]:
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin reads feedback.")
    query = select(Feedback).order_by(Feedback.created_at.desc(), Feedback.id.desc())
    if status:
        query = query.where(Feedback.status == status)
    if plan_key:
        query = query.join(PlanVersion).where(PlanVersion.key == plan_key)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def feedback_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Feedback.status, func.count()).group_by(Feedback.status))
    counts = dict.fromkeys(FEEDBACK_STATUSES, 0)
    counts.update(dict(rows.all()))
    return counts


def feedback_csv(rows: Iterable[Feedback]) -> str:
    columns = (
        "id", "created_at", "plan", "target_kind", "target_key", "status",
        "name", "email", "organisation", "comment", "publish_consent", "reply", "published",
    )  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        values = {
            "id": row.id,
            "created_at": row.created_at.isoformat(timespec="seconds"),
            "plan": row.version.key,
            **{name: getattr(row, name) for name in columns if hasattr(Feedback, name)},
        }
        values["created_at"] = row.created_at.isoformat(timespec="seconds")
        writer.writerow(csv_row(values.get(name) for name in columns))
    return out.getvalue()
