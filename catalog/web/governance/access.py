"""A steward of another agency asks for a non-public dataset; the request opens a review."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied
from catalog.services import access_requests
from catalog.services.datasets import get_dataset
from catalog.services.history import field_changes
from catalog.web.forms import choices
from catalog.web.governance import bp
from catalog.web.governance.common import viewer
from catalog.web.governance.forms import AccessRequestForm


@bp.app_context_processor
def _dataset_page_helpers() -> dict:
    """For the dataset page: who may ask for access, and history rows with before and after."""

    def may_request_access(dataset) -> bool:
        return bool(access_requests.requesting_agencies(viewer(), dataset))

    return {"may_request_access": may_request_access, "field_changes": field_changes}


@bp.route("/datasets/<dataset_id>/request-access", methods=["GET", "POST"])
@login_required
def request_access(dataset_id: str):
    dataset = get_dataset(db.session, dataset_id)
    user = viewer()
    options = access_requests.requesting_agencies(user, dataset)
    if not options:
        raise PermissionDenied(
            "Stewards of another agency ask for non-public datasets here; the dataset's own "
            "stewards open a sharing review instead."
        )
    form = AccessRequestForm()
    form.agency.choices = choices([(a.code, f"{a.name} ({a.code})") for a in options])
    status, problems = 200, []
    if form.validate_on_submit():
        try:
            request = access_requests.request_access(
                db.session, user, dataset.id,
                agency_code=form.agency.data, purpose=form.purpose.data or "",
                fields=(form.fields.data or "").split(","),
                period_start=form.period_start.data, period_end=form.period_end.data,
            )  # fmt: skip
        except InvalidInput as exc:
            db.session.rollback()
            status = 422
            for name, messages in exc.errors.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, *map(str, messages)]
                else:
                    problems += [str(m) for m in messages]
        else:
            db.session.commit()
            flash(
                f"Your request is recorded: {dataset.agency.name} reviews it on the plan's "
                "timeline for sharing reviews.",
                "success",
            )
            return redirect(url_for("reviews.review", review_id=request.review_id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "governance/request_access.html", dataset=dataset, form=form, problems=problems
    ), status
