"""Harvest pages for stewards and the CDO: sources, each with its recent jobs and their errors."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from catalog.db import db
from catalog.services import harvest as harvest_service

bp = Blueprint("harvest", __name__, url_prefix="/harvest")


def _require_staff() -> None:
    if not (current_user.is_cdo_or_admin or current_user.role == "steward"):
        abort(403, description="Harvest pages are for stewards and the CDO.")


@bp.get("/")
@login_required
def sources():
    _require_staff()
    rows = harvest_service.list_sources(db.session)
    return render_template(
        "harvest_sources.html",
        sources=rows,
        jobs=harvest_service.last_jobs(db.session, [s.id for s in rows]),
    )


@bp.get("/sources/<name>")
@login_required
def source(name: str):
    _require_staff()
    record = harvest_service.get_source(db.session, name)
    jobs = harvest_service.recent_jobs(db.session, record)
    return render_template("harvest_source.html", source=record, jobs=jobs)


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    _require_staff()
    record = harvest_service.get_job(db.session, job_id)
    return render_template(
        "harvest_job.html",
        job=record,
        groups=harvest_service.error_groups(db.session, record),
    )
