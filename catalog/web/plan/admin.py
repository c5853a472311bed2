"""The CDO's plan page: edit objectives and comment windows (the TOML file stays the source;
an edit here lasts until the version's file changes, see docs/plan.md)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import InvalidInput, NotFound, PermissionDenied
from catalog.models import PlanObjective
from catalog.services import plan as plan_service
from catalog.web.plan import bp
from catalog.web.plan.forms import ObjectiveForm, WindowForm


def _cdo():
    user = current_user._get_current_object()
    if not plan_service.can_manage_plan(user):
        raise PermissionDenied("Only the CDO or an admin edits the plan.")
    return user


@bp.get("/plan/admin")
@login_required
def admin():
    _cdo()
    versions = [
        plan_service.get_version(db.session, v.key) for v in plan_service.list_versions(db.session)
    ]
    forms = {
        v.key: WindowForm(formdata=None, opens=v.comment_opens, closes=v.comment_closes)
        for v in versions
    }
    return render_template("plan/admin.html", versions=versions, forms=forms)


@bp.post("/plan/admin/<version_key>/window")
@login_required
def admin_window(version_key: str):
    user = _cdo()
    form = WindowForm()
    if not form.validate_on_submit():
        flash("Dates must be given as YYYY-MM-DD.", "error")
        return redirect(url_for("plan.admin"))
    try:
        plan_service.update_comment_window(
            db.session, version_key, form.opens.data, form.closes.data, user
        )
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(str(m) for ms in exc.errors.values() for m in ms), "error")
    else:
        db.session.commit()
        flash(f"Comment window of {version_key} saved.", "success")
    return redirect(url_for("plan.admin"))


@bp.route("/plan/admin/objectives/<int:objective_id>", methods=["GET", "POST"])
@login_required
def admin_objective(objective_id: int):
    user = _cdo()
    objective = db.session.get(PlanObjective, objective_id)
    if objective is None:
        raise NotFound(f"No objective {objective_id}.")
    form = ObjectiveForm()
    status = 200
    if form.validate_on_submit():
        changes = {
            "text": form.text.data,
            "metric": form.metric.data,
            "target": (form.target.data or "").strip(),
            "unit": form.unit.data,
            "due": form.due.data.isoformat() if form.due.data else None,
        }
        try:
            plan_service.update_objective(db.session, objective.id, changes, user)
        except InvalidInput as exc:
            db.session.rollback()
            status = 422
            for name, messages in exc.errors.items():
                if name in form._fields:
                    form._fields[name].errors = [str(m) for m in messages]
        else:
            db.session.commit()
            flash(f"Objective {objective.key} saved.", "success")
            return redirect(url_for("plan.admin"))
    elif not form.is_submitted():
        form.text.data, form.metric.data = objective.text, objective.metric
        form.target.data = f"{objective.target:g}"
        form.unit.data, form.due.data = objective.unit, objective.due
    else:
        status = 400
    return render_template("plan/objective_form.html", form=form, objective=objective), status
