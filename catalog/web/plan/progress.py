"""Progress reports: a steward's form, and the CDO's view of who has not reported."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import InvalidInput, NotFound, PermissionDenied
from catalog.permissions import can_edit_agency
from catalog.services import plan as plan_service
from catalog.services import progress as progress_service
from catalog.services.agencies import list_agencies
from catalog.web.plan import bp
from catalog.web.plan.forms import ProgressReportForm, as_choices


def _version():
    key = request.args.get("version") or None
    if key:
        return plan_service.get_visible_version(db.session, key, current_user._get_current_object())
    current = plan_service.current_version(db.session)
    if current is None:
        raise NotFound("No plan version is loaded.")
    return plan_service.get_version(db.session, current.key)


@bp.route("/plan/progress/new", methods=["GET", "POST"])
@login_required
def report_progress():
    user = current_user._get_current_object()
    version = _version()
    form = ProgressReportForm()
    form.agency.choices = as_choices(
        [
            (a.code, f"{a.name} ({a.code})")
            for a in list_agencies(db.session)
            if can_edit_agency(user, a.id)
        ]
    )
    if not form.agency.choices:
        raise PermissionDenied("Your account reports for no agency.")
    form.objective.choices = as_choices(
        [(o.key, f"{o.key}: {o.text}") for o in plan_service.active_objectives(version)]
    )
    if not form.is_submitted():
        form.period.data = progress_service.default_period()
        if request.args.get("objective"):
            form.objective.data = request.args["objective"]
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            progress_service.submit_progress_report(db.session, form.to_payload(version.key), user)
        except InvalidInput as exc:
            db.session.rollback()
            status = 422
            for name, messages in exc.errors.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [str(m) for m in messages]
                else:
                    problems += [str(m) for m in messages]
        else:
            db.session.commit()
            flash("Progress report saved.", "success")
            return redirect(url_for("plan.progress_overview", version=version.key))
    elif form.is_submitted():
        status = 400
    return render_template(
        "plan/progress_form.html", form=form, version=version, problems=problems
    ), status


@bp.get("/plan/progress")
@login_required
def progress_overview():
    """The CDO sees who has not reported for a period; stewards see their agencies' reports."""
    user = current_user._get_current_object()
    version = _version()
    period = request.args.get("period") or progress_service.default_period()
    reporting = None
    if plan_service.can_manage_plan(user):
        reporting = progress_service.reporting_status(db.session, user, period, version.key)
    reports = progress_service.list_progress_reports(
        db.session, user, period=period, plan_key=version.key
    )
    return render_template(
        "plan/progress.html",
        version=version,
        versions=plan_service.visible_versions(db.session, user),
        period=period,
        reporting=reporting,
        reports=reports,
    )
