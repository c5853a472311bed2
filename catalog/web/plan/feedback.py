"""Public feedback (/feedback, the form on /plan and on dataset pages) and the CDO's triage."""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied
from catalog.extensions import limiter
from catalog.models import Dataset
from catalog.models.plan import FEEDBACK_STATUSES
from catalog.services import feedback as feedback_service
from catalog.services import plan as plan_service
from catalog.services.feedback import CommentWindowClosed
from catalog.web.plan import bp
from catalog.web.plan.forms import (
    FeedbackForm,
    FeedbackReplyForm,
    FeedbackStatusForm,
    as_choices,
)
from catalog.web.plan.pages import target_choices, viewer

log = logging.getLogger(__name__)

FEEDBACK_LIMITS = "5 per minute;30 per hour;100 per day"


@bp.app_context_processor
def _dataset_feedback_helper() -> dict:
    return {"dataset_feedback": dataset_feedback}


def dataset_feedback(dataset: Dataset) -> dict:
    """For a dataset page: the newest plan version open for comment, with a small form."""
    versions = plan_service.open_versions(db.session)
    if not versions:
        return {"version": None, "form": None}
    version = versions[0]
    form = FeedbackForm(plan=version.key, formdata=None)
    form.target.choices = as_choices([(f"dataset:{dataset.id}", dataset.title)])
    form.target.data = f"dataset:{dataset.id}"
    # Ids of their own, so they cannot clash with other forms on the dataset page.
    for field in form:
        field.id = f"dataset-feedback-{field.name}"
        field.label.field_id = field.id
    return {"version": version, "form": form}


def _form_version() -> object | None:
    key = request.values.get("plan") or request.args.get("version")
    if key:
        return plan_service.get_visible_version(db.session, key, viewer())
    versions = plan_service.open_versions(db.session)
    return versions[0] if versions else None


@bp.route("/feedback", methods=["GET", "POST"])
@limiter.limit(FEEDBACK_LIMITS, methods=["POST"])
def feedback():
    version = _form_version()
    form = FeedbackForm()
    if version is not None:
        form.plan.data = form.plan.data or version.key
        pairs = target_choices(version)
        target = request.values.get("target") or ""
        if target.startswith("dataset:"):
            dataset = db.session.get(Dataset, target.partition(":")[2])
            if dataset is not None:
                pairs.append((target, f"Dataset: {dataset.title}"))
        form.target.choices = as_choices(pairs)
        if not form.is_submitted() and target:
            form.target.data = target  # e.g. from a "Comment on P3" link on the plan page
    refusal = None
    status = 200
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the hidden field: answer as if stored, store nothing.
            log.info("feedback honeypot filled; discarded")
            flash("Thank you: your comment was received.", "success")
            return redirect(url_for("plan.feedback"))
        payload = {
            name: getattr(form, name).data
            for name in (
                "plan",
                "target",
                "name",
                "email",
                "organisation",
                "comment",
                "publish_consent",
                "publish_name",
            )
        }
        try:
            stored = feedback_service.submit_feedback(db.session, payload)
        except CommentWindowClosed as exc:
            db.session.rollback()
            refusal, status = exc.message, 403
        except InvalidInput as exc:
            db.session.rollback()
            for name, messages in exc.errors.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [str(m) for m in messages]
                else:
                    refusal = " ".join(str(m) for m in messages)
            status = 422
        else:
            db.session.commit()
            flash("Thank you: your comment was received.", "success")
            if stored.target_kind == "dataset":
                return redirect(url_for("pages.dataset", dataset_id=stored.target_key))
            return redirect(url_for("plan.plan_page", version=stored.version.key))
    elif form.is_submitted():
        status = 400
    today = plan_service.plan_today()
    window_open = version is not None and plan_service.accepts_comments(version, today)
    if version is not None and refusal is None and not window_open:
        refusal = feedback_service.window_message(version, today)
    return render_template(
        "plan/feedback.html",
        form=form,
        version=version,
        window_open=window_open,
        refusal=refusal,
        open_versions=plan_service.open_versions(db.session),
    ), status


def _require_cdo() -> None:
    if not plan_service.can_manage_plan(viewer()):
        raise PermissionDenied("Only the CDO or an admin triages feedback.")


@bp.get("/plan/feedback")
@login_required
def triage():
    _require_cdo()
    status = request.args.get("status") or None
    if status is not None and status not in FEEDBACK_STATUSES:
        abort(400, description="Unknown status.")
    rows = feedback_service.list_feedback(db.session, viewer(), status=status)
    return render_template(
        "plan/triage.html",
        rows=rows,
        status=status,
        counts=feedback_service.feedback_counts(db.session),
        statuses=FEEDBACK_STATUSES,
        status_form=FeedbackStatusForm(),
    )


@bp.get("/plan/feedback.csv")
@login_required
def triage_csv():
    _require_cdo()
    status = request.args.get("status") or None
    rows = feedback_service.list_feedback(db.session, viewer(), status=status, limit=None)
    return Response(
        feedback_service.feedback_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=plan-feedback.csv"},
    )


@bp.post("/plan/feedback/<int:feedback_id>/status")
@login_required
def triage_status(feedback_id: int):
    form = FeedbackStatusForm()
    if not form.validate_on_submit():
        abort(400, description="Choose new, read or answered.")
    feedback_service.set_feedback_status(
        db.session, feedback_id, form.status.data, current_user._get_current_object()
    )
    db.session.commit()
    flash(f"Feedback #{feedback_id} marked {form.status.data}.", "success")
    return redirect(url_for("plan.triage", status=request.args.get("status") or None))


@bp.post("/plan/feedback/<int:feedback_id>/reply")
@login_required
def triage_reply(feedback_id: int):
    form = FeedbackReplyForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    try:
        stored = feedback_service.answer_feedback(
            db.session, feedback_id, form.reply.data, bool(form.publish.data),
            current_user._get_current_object(),
        )  # fmt: skip
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(str(m) for ms in exc.errors.values() for m in ms), "error")
    else:
        db.session.commit()
        where = " and published on the plan page" if stored.published else ""
        flash(f"Answer to #{feedback_id} saved{where}.", "success")
    return redirect(url_for("plan.triage", status=request.args.get("status") or None))
