"""Harvest sources managed from the web: the CDO and admins add, edit, pause and remove them;
the stewards of a source's agency and the CDO press "Run now", which queues a job."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.models import SOURCE_KINDS, SOURCE_ROLES
from catalog.permissions import can_edit_sources
from catalog.services import harvest as harvest_service
from catalog.services import harvest_jobs
from catalog.services.agencies import list_agencies
from catalog.web.forms import SourceForm
from catalog.web.harvest import bp

FORM_FIELDS = ("name", "kind", "role", "url", "agency", "schedule", "mapping", "paused")


def _require_editor() -> None:
    if not can_edit_sources(current_user._get_current_object()):
        raise PermissionDenied("Only the CDO and admins add, change or remove harvest sources.")


def _mapping_files() -> dict[str, Path]:
    folder = Path(current_app.config["CONFIG_DIR"]) / "inventory_mappings"
    return {path.name: path for path in sorted(folder.glob("*.toml"))}


def _form(source=None) -> SourceForm:
    form = SourceForm()
    form.kind.choices = [SelectChoice(kind, kind) for kind in SOURCE_KINDS]
    form.role.choices = [SelectChoice("", "(by kind)")] + [
        SelectChoice(role, role) for role in SOURCE_ROLES
    ]
    form.agency.choices = [SelectChoice("", "(none)")] + [
        SelectChoice(a.code, f"{a.name} ({a.code})") for a in list_agencies(db.session)
    ]
    form.mapping.choices = [SelectChoice("", "(keep / none)")] + [
        SelectChoice(name, name) for name in _mapping_files()
    ]
    if source is not None and not form.is_submitted():
        form.name.data, form.kind.data, form.url.data = source.name, source.kind, source.url
        form.agency.data = source.agency_code or ""
        form.role.data = source.role
        form.schedule.data = source.schedule or ""
        form.paused.data = source.paused
    return form


def _chosen_mapping(form: SourceForm) -> Path | None:
    if not form.mapping.data:
        return None
    path = _mapping_files().get(form.mapping.data)
    if path is None:
        raise InvalidInput({"mapping": ["Choose one of the listed mappings."]})
    return path


def _attach(form: SourceForm, errors: dict[str, list]) -> list[str]:
    unplaced = []
    for key, messages in errors.items():
        field = getattr(form, key, None) if key in FORM_FIELDS else None
        if field is None:
            unplaced += [str(m) for m in messages]
        else:
            field.errors = [*field.errors, *map(str, messages)]
    return unplaced


@bp.route("/sources/new", methods=["GET", "POST"])
@login_required
def new_source():
    _require_editor()
    form = _form()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            source = harvest_service.add_source(
                db.session,
                form.name.data,
                form.kind.data,
                form.url.data,
                current_user._get_current_object(),
                agency_code=form.agency.data or None,
                mapping_path=_chosen_mapping(form),
                schedule=form.schedule.data,
                paused=form.paused.data,
                role=form.role.data or None,
            )
        except (InvalidInput, Conflict) as exc:
            db.session.rollback()
            problems = _attach(form, exc.errors)
        else:
            db.session.commit()
            flash(f"Source {source.name} added.", "success")
            return redirect(url_for("harvest.source", name=source.name))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "harvest_source_form.html", form=form, source=None, problems=problems
    ), status


@bp.route("/sources/<name>/edit", methods=["GET", "POST"])
@login_required
def edit_source(name: str):
    _require_editor()
    source = harvest_service.get_source(db.session, name)
    form = _form(source)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            harvest_service.update_source(
                db.session,
                source.name,
                current_user._get_current_object(),
                url=form.url.data,
                agency_code=form.agency.data or None,
                schedule=form.schedule.data,
                paused=form.paused.data,
                mapping_path=_chosen_mapping(form),
                role=form.role.data or None,
            )
        except InvalidInput as exc:
            db.session.rollback()
            problems = _attach(form, exc.errors)
        else:
            db.session.commit()
            flash(f"Source {source.name} saved.", "success")
            return redirect(url_for("harvest.source", name=source.name))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "harvest_source_form.html", form=form, source=source, problems=problems
    ), status


@bp.post("/sources/<name>/pause")
@login_required
def pause_source(name: str):
    """Pause (``paused=1``) or resume (``paused=0``) a source's schedule."""
    _require_editor()
    paused = request.form.get("paused") == "1"
    source = harvest_service.update_source(
        db.session, name, current_user._get_current_object(), paused=paused
    )
    db.session.commit()
    flash(f"{source.name} {'paused' if paused else 'resumed'}.", "success")
    return redirect(url_for("harvest.source", name=source.name))


@bp.post("/sources/<name>/remove")
@login_required
def remove_source(name: str):
    _require_editor()
    if request.form.get("confirm") != name:
        flash("Type the source's name to confirm its removal.", "error")
        return redirect(url_for("harvest.source", name=name))
    try:
        harvest_service.remove_source(db.session, name, current_user._get_current_object())
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("harvest.source", name=name))
    db.session.commit()
    flash(f"Source {name} removed; its datasets stay in the catalog.", "success")
    return redirect(url_for("harvest.sources"))


@bp.post("/sources/<name>/run")
@login_required
def run_source(name: str):
    """Run now: queue a job for a worker and come back to the source page, which follows it."""
    source = harvest_service.get_source(db.session, name)
    try:
        job, new = harvest_jobs.queue_job(
            db.session,
            source,
            current_user._get_current_object(),
            trigger="web",
            dead_after=int(current_app.config["HARVEST_JOB_TIMEOUT_SECONDS"]),
        )
    except harvest_jobs.JobConflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("harvest.source", name=source.name))
    db.session.commit()
    if new:
        current_app.extensions["job_queue"].enqueue_harvest(job.id)
        flash(f"Job #{job.id} queued: a worker will run it shortly.", "success")
    else:
        flash(f"Job #{job.id} is already queued.", "info")
    return redirect(url_for("harvest.source", name=source.name))
