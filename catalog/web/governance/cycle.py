"""The yearly inventory cycle and open data access plans."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from catalog.db import db
from catalog.errors import PermissionDenied, ServiceError
from catalog.permissions import can_edit_agency
from catalog.services import access_plans
from catalog.services import inventory_cycle as cycles
from catalog.services.agencies import get_agency
from catalog.services.plan import can_manage_plan, plan_today
from catalog.web.forms import choices
from catalog.web.governance import bp
from catalog.web.governance.common import find_datasets, viewer
from catalog.web.governance.forms import (
    AccessPlanForm,
    CsrfForm,
    OpenCycleForm,
    SubmitInventoryForm,
)


def _flash(exc: ServiceError) -> None:
    flash(" ".join([exc.message, *(str(m) for ms in exc.errors.values() for m in ms)]), "error")


@bp.get("/inventory")
@login_required
def inventory():
    user = viewer()
    cycle = cycles.current_cycle(db.session)
    rows = cycles.submission_status(db.session, cycle) if cycle else []
    if not can_manage_plan(user):
        rows = [r for r in rows if r["agency"].id in user.agency_ids]
    form = OpenCycleForm(formdata=None, year=plan_today().year)
    return render_template(
        "governance/inventory.html", cycle=cycle, rows=rows, form=form,
        is_cdo=can_manage_plan(user), today=plan_today(),
    )  # fmt: skip


@bp.post("/inventory/cycles")
@login_required
def open_cycle():
    form = OpenCycleForm()
    if not form.validate_on_submit():
        flash("Give the year as a number and the date as YYYY-MM-DD.", "error")
        return redirect(url_for("governance.inventory"))
    try:
        cycle = cycles.open_cycle(
            db.session, viewer(), form.year.data or plan_today().year,
            due_on=form.due_on.data, note=form.note.data,
        )  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        _flash(exc)
    else:
        db.session.commit()
        flash(
            f"The {cycle.year} inventory cycle is open, due {cycle.due_on.isoformat()}.", "success"
        )
    return redirect(url_for("governance.inventory"))


def _agency_for(code: str):
    agency = get_agency(db.session, code)
    if not can_edit_agency(viewer(), agency.id):
        raise PermissionDenied(f"This page is for {agency.code}'s stewards and the CDO.")
    return agency


@bp.get("/inventory/<code>")
@login_required
def agency_inventory(code: str):
    agency = _agency_for(code)
    cycle = cycles.current_cycle(db.session)
    submission = marked = None
    if cycle is not None:
        marked = cycles.high_value_ids(db.session, cycle, agency)
        submission = next(
            (r["submission"] for r in cycles.submission_status(db.session, cycle)
             if r["agency"].id == agency.id),
            None,
        )  # fmt: skip
    jobs = cycles.upload_jobs(db.session, agency)
    form = SubmitInventoryForm(formdata=None)
    form.method.choices = choices(
        [("confirmation", "Confirm the inventory as harvested in the catalog")]
        + [
            (
                f"upload:{j.id}",
                f"The spreadsheet uploaded to {j.source.name} "
                f"(job #{j.id}, {j.started_at:%Y-%m-%d})",
            )
            for j in jobs
        ]
    )
    return render_template(
        "governance/agency_inventory.html", agency=agency, cycle=cycle, submission=submission,
        datasets=cycles.agency_datasets(db.session, agency), marked=marked or set(), form=form,
        sources=[j.source for j in jobs],
    )  # fmt: skip


@bp.post("/inventory/<code>/submit")
@login_required
def submit_inventory(code: str):
    agency = _agency_for(code)
    form = SubmitInventoryForm()
    form.method.choices = []
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    method, _, job = (form.method.data or "").partition(":")
    try:
        cycles.submit_inventory(
            db.session, viewer(), agency.code, method,
            harvest_job_id=int(job) if job.isdigit() else None, note=form.note.data,
        )  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        _flash(exc)
    else:
        db.session.commit()
        flash(f"{agency.name}'s inventory is submitted.", "success")
    return redirect(url_for("governance.agency_inventory", code=agency.code))


@bp.post("/inventory/<code>/high-value")
@login_required
def mark_high_value(code: str):
    agency = _agency_for(code)
    if not CsrfForm().validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    try:
        chosen = cycles.set_high_value(
            db.session, viewer(), agency.code, request.form.getlist("high_value")
        )
    except ServiceError as exc:
        db.session.rollback()
        _flash(exc)
    else:
        db.session.commit()
        flash(
            f"{len(chosen)} high-value dataset{'' if len(chosen) == 1 else 's'} marked.", "success"
        )
    return redirect(url_for("governance.agency_inventory", code=agency.code) + "#high-value")


@bp.route("/agencies/<code>/access-plan", methods=["GET", "POST"])
def access_plan(code: str):
    """The agency's open data access plan; its stewards and the CDO add to it here."""
    agency = get_agency(db.session, code)
    user = viewer()
    may_edit = can_edit_agency(user, agency.id)
    form = AccessPlanForm(formdata=request.form if request.method == "POST" else request.args)
    found = []
    if may_edit and form.q.data:
        found = find_datasets(form.q.data, [agency.code])
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(f"Only {agency.code}'s stewards and the CDO change its plan.")
        if not form.validate_on_submit():
            abort(400, description="Give the date as YYYY-MM-DD.")
        try:
            access_plans.add_entry(
                db.session, agency.code,
                {"identifier": request.form.get("dataset") or "",
                 "target_date": form.target_date.data.isoformat() if form.target_date.data else ""},
                user,
            )  # fmt: skip
        except ServiceError as exc:
            db.session.rollback()
            _flash(exc)
            status = 422
        else:
            db.session.commit()
            flash("Added to the access plan.", "success")
            return redirect(url_for("governance.access_plan", code=agency.code))
    entries = access_plans.access_plan(db.session, agency)
    return render_template(
        "governance/access_plan.html", agency=agency, entries=entries,
        counts=access_plans.status_counts(entries), may_edit=may_edit, form=form, found=found,
    ), status  # fmt: skip


@bp.post("/agencies/<code>/access-plan/<dataset_id>/remove")
@login_required
def remove_access_plan_entry(code: str, dataset_id: str):
    if not CsrfForm().validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    try:
        access_plans.remove_entry(db.session, code, dataset_id, viewer())
    except ServiceError as exc:
        db.session.rollback()
        _flash(exc)
    else:
        db.session.commit()
        flash("Removed from the access plan.", "success")
    return redirect(url_for("governance.access_plan", code=code))
