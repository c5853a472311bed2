"""The CDO writes the plan: versions, their elements and their status (all audited)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from catalog.models.plan import PLAN_TRANSITIONS, STATUS_LABELS
from catalog.services import plan as plan_service
from catalog.services import plan_authoring as authoring
from catalog.services.plan_io import export_toml, import_plan
from catalog.web.plan import bp
from catalog.web.plan.forms import (
    ELEMENT_FORMS,
    GroupForm,
    NewVersionForm,
    StatusForm,
    VersionForm,
    WindowForm,
    as_choices,
)


def _cdo():
    user = current_user._get_current_object()
    if not plan_service.can_manage_plan(user):
        raise PermissionDenied("Only the CDO or an admin writes the plan.")
    return user


def _problems(exc: ServiceError, form=None) -> list[str]:
    """Put a service's field errors on the form's fields; return the ones with no field."""
    unplaced = []
    for name, messages in exc.errors.items():
        field = form._fields.get(name) if form is not None else None
        if field is not None:
            field.errors = [*field.errors, *map(str, messages)]
        else:
            unplaced += [str(m) for m in messages]
    return unplaced or ([exc.message] if form is None or not exc.errors else [])


def _flash_problems(exc: ServiceError) -> None:
    flash(" ".join([exc.message, *(str(m) for ms in exc.errors.values() for m in ms)]), "error")


@bp.get("/plan/admin")
@login_required
def admin():
    _cdo()
    versions = plan_service.list_versions(db.session)
    form = NewVersionForm(formdata=None)
    form.copy_from.choices = as_choices(
        [("", "(nothing: an empty version)")] + [(v.key, v.title) for v in versions]
    )
    current = plan_service.current_version(db.session)
    form.copy_from.data = current.key if current else ""
    return render_template("plan/admin.html", versions=versions, form=form, labels=STATUS_LABELS)


@bp.post("/plan/admin/versions")
@login_required
def admin_create_version():
    user = _cdo()
    form = NewVersionForm()
    form.copy_from.choices = []
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    try:
        version = authoring.create_version(
            db.session, user, key=form.key.data or "", title=form.title.data or "",
            copy_from=form.copy_from.data or None,
        )  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        _flash_problems(exc)
        return redirect(url_for("plan.admin"))
    db.session.commit()
    flash(f"Draft {version.key} created.", "success")
    return redirect(url_for("plan.admin_version", version_key=version.key))


@bp.post("/plan/admin/import")
@login_required
def admin_import():
    user = _cdo()
    upload = request.files.get("plan_file")
    if upload is None or not upload.filename:
        flash("Choose a TOML plan file.", "error")
        return redirect(url_for("plan.admin"))
    raw = upload.read(1_000_001)
    try:
        if len(raw) > 1_000_000:
            raise InvalidInput({"file": ["A plan file is at most 1 MB."]})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"file": ["The file is not UTF-8 text."]}) from None
        version = import_plan(db.session, text, user, replace=request.form.get("replace") == "y")
    except ServiceError as exc:
        db.session.rollback()
        _flash_problems(exc)
        return redirect(url_for("plan.admin"))
    db.session.commit()
    flash(f"Imported {version.key}.", "success")
    return redirect(url_for("plan.admin_version", version_key=version.key))


def _version_page(version, *, version_form=None, status=200):
    version_form = version_form or VersionForm(formdata=None, obj=version)
    window_form = WindowForm(
        formdata=None, opens=version.comment_opens, closes=version.comment_closes
    )
    return render_template(
        "plan/admin_version.html",
        version=version,
        version_form=version_form,
        window_form=window_form,
        status_form=StatusForm(
            formdata=None,
            opens=version.comment_opens,
            closes=version.comment_closes,
            issued=version.issued,
        ),
        group_form=GroupForm(formdata=None),
        moves=PLAN_TRANSITIONS.get(version.status, ()),
        labels=STATUS_LABELS,
    ), status


@bp.route("/plan/admin/<version_key>", methods=["GET", "POST"])
@login_required
def admin_version(version_key: str):
    user = _cdo()
    version = plan_service.get_version(db.session, version_key)
    if request.method == "GET":
        return _version_page(version)
    form = VersionForm()
    if not form.validate_on_submit():
        return _version_page(version, version_form=form, status=400)
    try:
        authoring.update_version(db.session, version.key, form.to_payload(), user)
    except InvalidInput as exc:
        db.session.rollback()
        _problems(exc, form)
        version = plan_service.get_version(db.session, version_key)
        return _version_page(version, version_form=form, status=422)
    db.session.commit()
    flash("Version details saved.", "success")
    return redirect(url_for("plan.admin_version", version_key=version_key))


@bp.post("/plan/admin/<version_key>/status")
@login_required
def admin_status(version_key: str):
    user = _cdo()
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Dates must be given as YYYY-MM-DD.", "error")
        return redirect(url_for("plan.admin_version", version_key=version_key))
    try:
        version = authoring.set_status(
            db.session, version_key, form.status.data or "", user,
            opens=form.opens.data, closes=form.closes.data, issued=form.issued.data,
        )  # fmt: skip
    except (InvalidInput, Conflict) as exc:
        db.session.rollback()
        _flash_problems(exc)
    else:
        db.session.commit()
        flash(f"{version.title} is now: {version.status_label.lower()}.", "success")
    return redirect(url_for("plan.admin_version", version_key=version_key))


@bp.post("/plan/admin/<version_key>/window")
@login_required
def admin_window(version_key: str):
    user = _cdo()
    form = WindowForm()
    if not form.validate_on_submit():
        flash("Dates must be given as YYYY-MM-DD.", "error")
        return redirect(url_for("plan.admin_version", version_key=version_key))
    try:
        authoring.update_comment_window(
            db.session, version_key, form.opens.data, form.closes.data, user
        )
    except InvalidInput as exc:
        db.session.rollback()
        _flash_problems(exc)
    else:
        db.session.commit()
        flash(f"Comment window of {version_key} saved.", "success")
    return redirect(url_for("plan.admin_version", version_key=version_key))


@bp.get("/plan/admin/<version_key>.toml")
@login_required
def admin_export(version_key: str):
    _cdo()
    version = plan_service.get_version(db.session, version_key)
    return Response(
        export_toml(version),
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{version.key}.toml"'},
    )


# ---------------------------------------------------------------------------- groups


@bp.post("/plan/admin/<version_key>/groups")
@login_required
def admin_groups(version_key: str):
    user = _cdo()
    form = GroupForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    action = request.form.get("action", "add")
    try:
        if action == "remove":
            authoring.remove_group(db.session, version_key, form.key.data or "", user)
        else:
            authoring.save_group(
                db.session, version_key, form.key.data or "", form.title.data or "", user,
                existing=action == "rename",
            )  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        _flash_problems(exc)
    else:
        db.session.commit()
        flash("Groups saved.", "success")
    return redirect(url_for("plan.admin_version", version_key=version_key) + "#groups")


# ---------------------------------------------------------------------------- elements


def _kind(kind: str) -> str:
    if kind not in ELEMENT_FORMS:
        raise NotFound(f"No plan element kind {kind!r}.")
    return kind


def _element(version, kind: str, key: str):
    """The live element ``key`` of ``kind`` and its goal's key (for objectives)."""
    if kind == "objective":
        for goal in version.goals:
            for objective in goal.objectives:
                if objective.key == key and not objective.retired and not goal.retired:
                    return objective, goal.key
    else:
        rows = {"principle": version.principles, "goal": version.goals}.get(
            kind, version.focal_points
        )
        for row in rows:
            if row.key == key and not row.retired:
                return row, None
    raise NotFound(f"{version.title} has no {kind.replace('_', ' ')} {key!r}.")


def _fill(form, version, kind: str) -> None:
    if kind == "principle":
        form.group.choices = as_choices(
            [("", "(no group)")] + [(g["key"], f"{g['key']}. {g['title']}") for g in version.groups]
        )


@bp.route("/plan/admin/<version_key>/<kind>/new", methods=["GET", "POST"])
@bp.route("/plan/admin/<version_key>/<kind>/<element_key>", methods=["GET", "POST"])
@login_required
def admin_element(version_key: str, kind: str, element_key: str | None = None):
    user = _cdo()
    kind = _kind(kind)
    version = plan_service.get_version(db.session, version_key)
    goal_key = request.args.get("goal") or None
    row = None
    if element_key is not None:
        row, goal_key = _element(version, kind, element_key)
    elif kind == "objective" and not any(
        g.key == goal_key and not g.retired for g in version.goals
    ):
        raise NotFound("Add objectives from their goal.")
    form = ELEMENT_FORMS[kind](formdata=None if request.method == "GET" else request.form)
    _fill(form, version, kind)
    status, problems = 200, []
    if request.method == "GET" and row is not None:
        form.process(obj=row)
        if kind == "principle":
            form.group.data = row.group_key or ""
        if kind == "objective":
            form.target.data = f"{row.target:g}"
    elif request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            payload = {n: f.data for n, f in form._fields.items() if n != "csrf_token"}
            if "due" in payload:
                payload["due"] = payload["due"].isoformat() if payload["due"] else None
            if "group" in payload:
                payload["group"] = payload["group"] or None
            try:
                saved = authoring.save_element(
                    db.session, version.key, kind, payload, user,
                    element_key=element_key, goal_key=goal_key,
                )  # fmt: skip
            except (InvalidInput, Conflict) as exc:
                db.session.rollback()
                version = plan_service.get_version(db.session, version_key)
                problems, status = _problems(exc, form), 422
            else:
                db.session.commit()
                flash(f"{kind.replace('_', ' ').capitalize()} {saved.key} saved.", "success")
                return redirect(
                    url_for("plan.admin_version", version_key=version.key) + f"#{kind}-{saved.key}"
                )
    if row is not None:
        form.key.render_kw = {"readonly": True}
    return render_template(
        "plan/admin_element.html", form=form, version=version, kind=kind, row=row,
        goal_key=goal_key, problems=problems,
    ), status  # fmt: skip


@bp.post("/plan/admin/<version_key>/<kind>/<element_key>/<action>")
@login_required
def admin_element_action(version_key: str, kind: str, element_key: str, action: str):
    user = _cdo()
    kind = _kind(kind)
    if action not in ("up", "down", "remove"):
        raise NotFound("Unknown action.")
    form = GroupForm()  # any FlaskForm: only the CSRF token is checked
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page.")
    version = plan_service.get_version(db.session, version_key)
    _row, goal_key = _element(version, kind, element_key)
    try:
        if action == "remove":
            authoring.remove_element(
                db.session, version_key, kind, element_key, user, goal_key=goal_key
            )
        else:
            authoring.move_element(
                db.session, version_key, kind, element_key, -1 if action == "up" else 1, user,
                goal_key=goal_key,
            )  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        _flash_problems(exc)
    else:
        db.session.commit()
    return redirect(
        url_for("plan.admin_version", version_key=version_key) + f"#{kind}-{element_key}"
    )
