"""A steward's register and edit forms, saved through the same services as the API."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied, VersionConflict
from catalog.permissions import can_edit_agency
from catalog.services import datasets as dataset_service
from catalog.services import pending_changes
from catalog.services.agencies import list_agencies
from catalog.services.ownership import field_named
from catalog.web.forms import DatasetForm

bp = Blueprint("steward", __name__)


def _agency_choices() -> list[SelectChoice]:
    user = current_user._get_current_object()
    return [
        SelectChoice(agency.code, f"{agency.name} ({agency.code})")
        for agency in list_agencies(db.session)
        if can_edit_agency(user, agency.id)
    ]


@bp.route("/datasets/new", methods=["GET", "POST"])
@login_required
def new_dataset():
    form = DatasetForm()
    form.agency.choices = _agency_choices()
    if not form.agency.choices:
        abort(403, description="Your account stewards no agency.")
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            record = dataset_service.create_dataset(
                db.session, form.to_payload(), current_user._get_current_object()
            )
        except InvalidInput as exc:
            db.session.rollback()
            problems = form.attach_errors(exc.errors)
        else:
            db.session.commit()
            flash("Dataset registered.", "success")
            return redirect(url_for("pages.dataset", dataset_id=record.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "dataset_form.html", form=form, problems=problems, dataset=None, overrides={}, pending={}
    ), status


@bp.route("/datasets/<dataset_id>/edit", methods=["GET", "POST"])
@login_required
def edit_dataset(dataset_id: str):
    record = dataset_service.get_dataset(db.session, dataset_id)
    user = current_user._get_current_object()
    if not can_edit_agency(user, record.agency_id):
        raise PermissionDenied(f"You are not a steward of {record.agency.code}.")
    form = DatasetForm()
    form.agency.choices = _agency_choices()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        version = request.form.get("version", type=int)
        try:
            dataset_service.update_dataset(
                db.session, record.id, form.to_payload(), user, expected_version=version
            )
        except InvalidInput as exc:
            db.session.rollback()
            problems, status = form.attach_errors(exc.errors), 422
        except VersionConflict as exc:
            db.session.rollback()
            problems, status = [exc.message], 409
        else:
            db.session.commit()
            flash("Changes saved.", "success")
            return redirect(url_for("pages.dataset", dataset_id=record.id))
    elif not form.is_submitted():
        form.fill_from(record)
    else:
        status = 400
    return render_template(
        "dataset_form.html",
        form=form,
        problems=problems,
        dataset=record,
        **_source_notes(record),
    ), status


def _source_notes(record) -> dict:
    """What the source says beside the fields a steward overrides (or it proposes to change),
    keyed by form field name."""
    by_name = {}
    for key, rows in (
        ("overrides", pending_changes.overrides_of_dataset(db.session, record)),
        ("pending", pending_changes.pending_changes_of(db.session, record)),
    ):
        by_name[key] = {field_named(row["field"]): row for row in rows}
    return by_name
