"""Pages for sharing reviews: the queue, a review with its history, the CDO's timeline, the
sharing matrix, agreements, the legal authorities and the annual report."""

from __future__ import annotations

import dataclasses

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied
from catalog.models import Dataset
from catalog.models.review import OBSTACLE_KINDS, REVIEW_STATES, STATE_LABELS, TRANSITIONS
from catalog.schemas.review import present_authority
from catalog.services import agreements as agreement_service
from catalog.services import review_insights, review_queries, review_report
from catalog.services import reviews as review_service
from catalog.services.agencies import list_agencies
from catalog.services.review_config import get_clauses, get_timeline
from catalog.web.review_forms import (
    AssignForm,
    CommentForm,
    OpenReviewForm,
    TransitionForm,
    choices,
)

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
QUEUE_PER_PAGE = 50


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _require_cdo() -> None:
    user = _user()
    if user is None or not user.is_cdo_or_admin:
        raise PermissionDenied("Only the CDO and admins see this page.")


@bp.app_context_processor
def _review_helpers() -> dict:
    """``why_not_open(dataset)`` for templates/reviews/_why_not_open.html on dataset pages."""

    def why_not_open(dataset: Dataset) -> dict | None:
        return review_insights.why_not_open(db.session, dataset)

    def review_links(dataset: Dataset) -> dict | None:
        """For signed-in staff: the dataset's reviews and whether they may open one."""
        user = _user()
        if user is None:
            return None
        return {
            "reviews": review_queries.reviews_for_dataset(db.session, dataset.id),
            "can_open": review_service.can_open_review(user, dataset),
        }

    return {
        "why_not_open": why_not_open,
        "review_links": review_links,
        "review_state_labels": STATE_LABELS,
    }


@bp.get("")
@login_required
def queue():
    filters = review_queries.validate_filters(request.args)
    mine = request.args.get("mine") == "1"
    if mine:
        filters = dataclasses.replace(filters, reviewer_id=_user().id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    today = review_service.clock()
    total, rows = review_queries.list_reviews(
        db.session, filters, page=page, per_page=QUEUE_PER_PAGE, today=today
    )
    return render_template(
        "reviews/queue.html",
        reviews=rows,
        involved={r.id for r in rows if review_service.can_see_review_internals(_user(), r)},
        total=total,
        page=page,
        pages=max((total + QUEUE_PER_PAGE - 1) // QUEUE_PER_PAGE, 1),
        filters=filters,
        mine=mine,
        today=today,
        states=REVIEW_STATES,
        labels=STATE_LABELS,
        obstacle_kinds=OBSTACLE_KINDS,
        agencies=list_agencies(db.session),
        authorities=review_queries.list_authorities(db.session),
        is_cdo=_user().is_cdo_or_admin,
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_review():
    dataset = db.session.get(Dataset, request.args.get("dataset", ""))
    if dataset is None:
        abort(404, description="Open a review from a dataset: /reviews/new?dataset=<id>.")
    user = _user()
    if not review_service.can_open_review(user, dataset):
        raise PermissionDenied(f"Only stewards of {dataset.agency.code} and the CDO open reviews.")
    form = OpenReviewForm()
    form.requesting_agency.choices = choices(
        [("", "(none: review of public release)")]
        + [
            (a.code, f"{a.name} ({a.code})")
            for a in list_agencies(db.session)
            if a.id != dataset.agency_id
        ]
    )
    form.authorities.choices = choices(
        (a.code, f"{a.citation} — {a.name}") for a in review_queries.list_authorities(db.session)
    )
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            review = review_service.open_review(
                db.session,
                dataset.id,
                user,
                purpose=form.purpose.data,
                public_reason=form.public_reason.data,
                obstacle_kinds=form.obstacle_kinds.data or [],
                authority_codes=form.authorities.data or [],
                requesting_agency_code=form.requesting_agency.data or None,
                internal_notes=form.internal_notes.data,
                reviewer_email=form.reviewer.data or None,
            )
        except InvalidInput as exc:
            db.session.rollback()
            problems, status = _attach(form, exc.errors), 422
        else:
            db.session.commit()
            flash("Review opened.", "success")
            return redirect(url_for("reviews.review", review_id=review.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "reviews/new.html", form=form, dataset=dataset, problems=problems
    ), status


@bp.get("/<int:review_id>")
@login_required
def review(review_id: int):
    record = review_service.get_review(db.session, review_id)
    user = _user()
    internal = review_service.can_see_review_internals(user, record)
    transition_form = TransitionForm()
    _fill_transition_choices(transition_form, record)
    return render_template(
        "reviews/review.html",
        review=record,
        internal=internal,
        can_move=review_service.can_move_review(user, record),
        is_cdo=user.is_cdo_or_admin,
        today=review_service.clock(),
        comment_form=CommentForm(),
        transition_form=transition_form,
        assign_form=AssignForm(data={"reviewer": record.reviewer.email if record.reviewer else ""}),
        labels=STATE_LABELS,
        timeline=get_timeline(),
    )


@bp.post("/<int:review_id>/comments")
@login_required
def add_comment(review_id: int):
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        review_service.comment_on_review(db.session, review_id, form.body.data, _user())
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
    else:
        db.session.commit()
        flash("Comment added.", "success")
    return redirect(url_for("reviews.review", review_id=review_id) + "#comments")


@bp.post("/<int:review_id>/transitions")
@login_required
def move(review_id: int):
    record = review_service.get_review(db.session, review_id)
    form = TransitionForm()
    _fill_transition_choices(form, record)
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    agreement_id = int(form.agreement_id.data) if form.agreement_id.data else None
    try:
        review_service.transition_review(
            db.session, review_id, form.to.data, form.reason.data, _user(),
            decision=form.decision.data, agreement_id=agreement_id,
        )  # fmt: skip
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
    else:
        db.session.commit()
        flash(f"Review moved to {STATE_LABELS[form.to.data]}.", "success")
    return redirect(url_for("reviews.review", review_id=review_id))


@bp.post("/<int:review_id>/reviewer")
@login_required
def assign(review_id: int):
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        review_service.assign_reviewer(db.session, review_id, form.reviewer.data or None, _user())
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
    else:
        db.session.commit()
        flash("Reviewer updated.", "success")
    return redirect(url_for("reviews.review", review_id=review_id))


@bp.get("/timeline")
@login_required
def timeline():
    _require_cdo()
    data = review_insights.timeline_data(db.session, review_service.clock())
    return render_template("reviews/timeline.html", data=data, timeline=get_timeline())


@bp.get("/timeline.json")
@login_required
def timeline_json():
    """The review timeline's data (CDO and admins).
    ---
    get:
      summary: Sharing reviews on the plan's review timeline (CDO and admins; session sign-in)
      tags: [reviews]
      responses:
        200:
          description: Timeline data
          content:
            application/json:
              schema: {type: object}
        302:
          description: Not signed in (to the sign-in page)
        403:
          description: Not the CDO or an admin
    """
    _require_cdo()
    return jsonify(review_insights.timeline_data(db.session, review_service.clock()))


@bp.get("/matrix")
@login_required
def matrix():
    agency = (request.args.get("agency") or "").strip().upper() or None
    return render_template(
        "reviews/matrix.html",
        matrix=review_insights.sharing_matrix(db.session, agency),
        agencies=list_agencies(db.session),
        agency=agency,
        labels=STATE_LABELS,
    )


@bp.get("/authorities")
def authorities():
    items = [present_authority(a) for a in review_queries.list_authorities(db.session)]
    return render_template("reviews/authorities.html", authorities=items, clauses=get_clauses())


@bp.get("/report")
def report():
    year = _year()
    data = review_report.build_annual_report(db.session, year, review_service.clock())
    return render_template("reviews/report.html", report=data, labels=STATE_LABELS)


@bp.get("/report.csv")
def report_csv():
    year = _year()
    data = review_report.build_annual_report(db.session, year, review_service.clock())
    return Response(
        review_report.report_csv(data),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sharing-review-report-{year}.csv"'},
    )


@bp.get("/report.xlsx")
def report_xlsx():
    year = _year()
    data = review_report.build_annual_report(db.session, year, review_service.clock())
    return Response(
        review_report.report_xlsx(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="sharing-review-report-{year}.xlsx"'
        },
    )


def _year() -> int:
    raw = request.args.get("year")
    if not raw:
        return review_service.clock().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(400, description="year must be a four-digit year between 2000 and 2100.")
    return int(raw)


def _fill_transition_choices(form: TransitionForm, record) -> None:
    form.to.choices = choices((s, STATE_LABELS[s]) for s in TRANSITIONS.get(record.state, ()))
    form.agreement_id.choices = choices(
        [("", "(none)")]
        + [(str(a.id), a.title) for a in agreement_service.list_agreements(db.session)]
    )


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _attach(form, errors: dict[str, list]) -> list[str]:
    unplaced = []
    for key, messages in errors.items():
        field = form._fields.get(key)
        if field is None:
            unplaced += [f"{key}: {m}" for m in messages]
        else:
            field.errors = [*field.errors, *map(str, messages)]
    return unplaced


# Agreements live in their own module, on this blueprint.
from catalog.web import review_agreements  # noqa: E402, F401
