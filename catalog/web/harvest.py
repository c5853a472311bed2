"""Harvest pages for stewards and the CDO: sources, each with its recent jobs and their errors;
an inventory upload form and the annotated spreadsheet of a job for the source's agency."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.models import HarvestJob, HarvestSource
from catalog.permissions import can_edit_sources, can_manage_source, can_run_source
from catalog.services import harvest as harvest_service
from catalog.services.harvest import original_name
from catalog.services.harvest_jobs import active_job
from catalog.web.forms import InventoryUploadForm

bp = Blueprint("harvest", __name__, url_prefix="/harvest")


def _require_staff() -> None:
    if not (current_user.is_cdo_or_admin or current_user.role == "steward"):
        abort(403, description="Harvest pages are for stewards and the CDO.")


def _may_upload(source: HarvestSource) -> bool:
    return source.kind == "inventory" and can_manage_source(
        current_user._get_current_object(), source
    )


@bp.get("/")
@login_required
def sources():
    _require_staff()
    rows = harvest_service.list_sources(db.session)
    return render_template(
        "harvest_sources.html",
        sources=rows,
        jobs=harvest_service.last_jobs(db.session, [s.id for s in rows]),
        may_edit=can_edit_sources(current_user._get_current_object()),
        details={s.id for s in rows if can_manage_source(current_user._get_current_object(), s)},
    )


def _source_page(record: HarvestSource, form: InventoryUploadForm | None = None) -> str:
    if form is None and _may_upload(record):
        form = InventoryUploadForm()
    jobs = harvest_service.recent_jobs(db.session, record)
    user = current_user._get_current_object()
    return render_template(
        "harvest_source.html",
        source=record,
        jobs=jobs,
        form=form,
        active=active_job(db.session, record),
        may_run=can_run_source(user, record),
        may_edit=can_edit_sources(user),
        # Addresses and failure text are for the source's stewards and the CDO, as in the API.
        details=can_manage_source(user, record),
    )


@bp.get("/sources/<name>")
@login_required
def source(name: str):
    _require_staff()
    return _source_page(harvest_service.get_source(db.session, name))


@bp.post("/sources/<name>/upload")
@login_required
def upload_inventory(name: str):
    """Harvest an inventory source from a spreadsheet the steward uploads, then show the job."""
    record = harvest_service.get_source(db.session, name)
    if record.kind != "inventory":
        abort(404, description=f"{record.name} is not an inventory source.")
    if not _may_upload(record):
        raise PermissionDenied(f"Only stewards of {record.agency_code or 'its agency'} may upload.")
    form = InventoryUploadForm()
    if form.validate_on_submit():
        upload = form.spreadsheet.data
        try:
            job = current_app.extensions["harvest_upload"](
                db.session,
                record,
                upload.read(),
                upload.filename,
                current_user._get_current_object(),
                current_app.config,
            )
        except (InvalidInput, Conflict) as exc:
            db.session.rollback()
            form.spreadsheet.errors = [m for ms in exc.errors.values() for m in ms]
        else:
            db.session.commit()
            _flash_summary(job, original_name(upload.filename))
            return redirect(url_for("harvest.job", job_id=job.id))
    return _source_page(record, form), 422


def _flash_summary(job: HarvestJob, filename: str) -> None:
    counts = ", ".join(f"{count} {name}" for name, count in job.counts.items())
    if job.status != "succeeded":
        flash(f"{filename}: the harvest failed ({job.error}). {counts}.", "error")
    elif job.failed:
        flash(
            f"{filename} harvested: {counts}. Download the annotated spreadsheet, fix the rows "
            "its errors column names, and upload it again.",
            "warning",
        )
    else:
        flash(f"{filename} harvested: {counts}.", "success")


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    _require_staff()
    record = harvest_service.get_job(db.session, job_id)
    annotated = harvest_service.annotated_file(record, current_app.config["INSTANCE_DIR"])
    return render_template(
        "harvest_job.html",
        job=record,
        groups=harvest_service.error_groups(db.session, record),
        upload=harvest_service.job_upload(db.session, record),
        annotated=annotated is not None,
        may_download=can_manage_source(current_user._get_current_object(), record.source),
        details=can_manage_source(current_user._get_current_object(), record.source),
    )


@bp.get("/jobs/<int:job_id>/annotated.xlsx")
@login_required
def annotated_spreadsheet(job_id: int):
    """The job's inventory as read, with an errors column, for the steward to fix in Excel."""
    record = harvest_service.get_job(db.session, job_id)
    if not can_manage_source(current_user._get_current_object(), record.source):
        raise PermissionDenied(
            f"Only stewards of {record.source.agency_code or 'its agency'} may download it."
        )
    path = harvest_service.annotated_file(record, current_app.config["INSTANCE_DIR"])
    if path is None:
        abort(404, description="This job has no annotated spreadsheet.")
    return send_file(
        path,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{record.source.name}-job{record.id}-annotated.xlsx",
        max_age=0,
    )
