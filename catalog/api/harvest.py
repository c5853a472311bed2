"""/api/v1/harvest: sources with their last job, queueing a job ("Run now"), a job's status,
progress and per-record outcomes, errors as CSV."""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request, url_for
from sqlalchemy import select

from catalog.api.auth import api_user, require_token_user
from catalog.api.blueprint import api_v1
from catalog.api.params import page_params
from catalog.db import db
from catalog.models import Dataset, HarvestJob, HarvestRecord, HarvestSource, User
from catalog.permissions import can_manage_source, can_see_internal
from catalog.services import harvest as harvest_service
from catalog.services import harvest_jobs


def job_summary(job: HarvestJob | None, details: bool = True) -> dict | None:
    """A job's outcome; its error text (paths, addresses, database messages) only with
    ``details``: for the source's stewards and the CDO."""
    if job is None:
        return None
    summary = {
        "id": job.id,
        "status": job.status,
        "counts": job.counts,
        "queued": _time(job.queued_at),
        "started": _time(job.started_at) if job.status != "queued" else None,
        "finished": _time(job.finished_at),
        "trigger": job.trigger,
        "attempts": job.attempts,
        "progress": {"read": job.progress, "expected": job.expected, "percent": job.percent},
    }
    if details:
        summary["error"] = job.error
    return summary


@api_v1.get("/harvest/sources")
def list_harvest_sources():
    """List harvest sources.
    ---
    get:
      summary: Every harvest source with its last job
      responses:
        200:
          description: Sources
          content:
            application/json:
              schema: HarvestSourceList
    """
    sources = harvest_service.list_sources(db.session)
    jobs = harvest_service.last_jobs(db.session, [s.id for s in sources])
    viewer = api_user()
    return jsonify(items=[_source(s, jobs.get(s.id), viewer) for s in sources])


def _source(source: HarvestSource, job: HarvestJob | None, viewer: User | None) -> dict:
    """Everyone sees a source's name, kind, agency and last outcome; its address (a local path
    or an intranet URL), schedule and error text only its agency's stewards and the CDO."""
    details = can_manage_source(viewer, source)
    item = {
        "name": source.name,
        "kind": source.kind,
        "role": source.role,
        "agency": source.agency_code,
        "url": source.url if details else None,
        "last_job": job_summary(job, details),
    }
    if details:
        item["schedule"] = source.schedule
    return item


@api_v1.post("/harvest/sources/<name>/jobs")
def queue_harvest_job(name: str):
    """Queue a harvest of a source ("Run now").
    ---
    post:
      summary: Queue a harvest; a worker runs it. Pressing twice while it waits queues one run.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: name, required: true, schema: {type: string}}
      responses:
        202:
          description: Queued (or the job already waiting); follow it at the Location
          content: {application/json: {schema: HarvestJobQueued}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of the source's agency, the CDO or an admin
          content: {application/json: {schema: Errors}}
        404: {description: No such source, content: {application/json: {schema: Errors}}}
        409:
          description: The source has a job running
          content: {application/json: {schema: Errors}}
    """
    actor = require_token_user()
    source = harvest_service.get_source(db.session, name)
    job, new = harvest_jobs.queue_job(
        db.session,
        source,
        actor,
        trigger="api",
        dead_after=int(current_app.config["HARVEST_JOB_TIMEOUT_SECONDS"]),
    )
    db.session.commit()
    if new:
        current_app.extensions["job_queue"].enqueue_harvest(job.id)
    response = jsonify(id=job.id, status=job.status, new=new)
    response.status_code = 202
    response.headers["Location"] = url_for("api_v1.get_harvest_job", job_id=job.id)
    return response


@api_v1.get("/harvest/jobs/<int:job_id>")
def get_harvest_job(job_id: int):
    """One harvest job with its per-record outcomes.
    ---
    get:
      summary: A harvest job, its counts and a page of record outcomes
      parameters:
        - {in: path, name: job_id, required: true, schema: {type: integer}}
        - in: query
          name: outcome
          schema: {type: string, enum: [added, updated, withdrawn, failed, linked]}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200:
          description: The job
          content:
            application/json:
              schema: HarvestJobOutput
        404:
          description: No such job
          content: {application/json: {schema: Errors}}
    """
    job = harvest_service.get_job(db.session, job_id)
    page, per_page = page_params()
    total, records = harvest_service.job_records(
        db.session,
        job,
        outcome=request.args.get("outcome") or None,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    viewer = api_user()
    manager = can_manage_source(viewer, job.source)
    datasets = _datasets([r.dataset_id for r in records if r.dataset_id])
    body = job_summary(job, manager) or {}
    body.update(
        source=job.source.name,
        errors_csv=url_for("api_v1.harvest_job_errors", job_id=job.id),
        records={
            "total": total,
            "page": page,
            "per_page": per_page,
            "items": [
                _record(r, datasets.get(r.dataset_id or ""), viewer, manager) for r in records
            ],
        },
    )
    return jsonify(body)


@api_v1.get("/harvest/jobs/<int:job_id>/errors.csv")
def harvest_job_errors(job_id: int):
    """A job's record errors as CSV, grouped by type (stewards, the CDO and admins)."""
    viewer = api_user()
    if viewer is None or not (viewer.is_cdo_or_admin or viewer.role == "steward"):
        abort(401 if viewer is None else 403, description="Sign in as a steward or the CDO.")
    job = harvest_service.get_job(db.session, job_id)
    text = harvest_service.errors_csv(db.session, job)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="harvest-job-{job.id}-errors.csv"'},
    )


def _record(
    record: HarvestRecord, dataset: Dataset | None, viewer: User | None, manager: bool
) -> dict:
    item = {
        "identifier": record.identifier,
        "title": record.title,
        "dataset_id": record.dataset_id,
        "outcome": record.outcome,
        "hash": record.hash,
        "errors": record.errors or [],
    }
    if _may_see_raw(dataset, viewer, manager):
        item["raw"] = record.raw
    return item


def _may_see_raw(dataset: Dataset | None, viewer: User | None, manager: bool) -> bool:
    """Raw source records: the source's stewards and the CDO see them all; others see those of
    public datasets, and of datasets whose internals they may see. A failed record has no
    dataset (and may be anything, even a non-public row): the source's stewards and CDO only."""
    if manager:
        return True
    if dataset is None:
        return False
    return dataset.access_level == "public" or can_see_internal(viewer, dataset)


def _datasets(ids: list[str]) -> dict[str, Dataset]:
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}


def _time(value) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None
