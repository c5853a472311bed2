"""The jobs themselves, as plain functions of the Flask app: the Celery tasks and the embedded
worker both call these, so the two modes run the same code."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import db
from catalog.models import HarvestJob
from catalog.models.harvest import JOB_QUEUED
from catalog.services.schedules import Work, dispatch, task_finished
from harvesters.runner import dead_after, run_job

log = logging.getLogger(__name__)


def link_checks(session: Session, config: Any) -> str:
    from catalog.services.linkcheck import run_link_checks

    answers, evaluated = run_link_checks(
        session, max_age=timedelta(hours=20), allow_private=bool(config["HARVEST_ALLOW_PRIVATE"])
    )
    broken = sum(1 for answer in answers if not answer.ok)
    return f"{len(answers)} links checked, {broken} broken, {evaluated} datasets evaluated"


def snapshot(session: Session, config: Any) -> str:
    from catalog.services.conformance import take_snapshot

    taken = take_snapshot(session)
    return f"snapshot {taken.taken_on}: {taken.dataset_count} datasets"


def notices(session: Session, config: Any) -> str:
    from catalog.services import reviews
    from catalog.services.notices import notify_expiring_agreements, notify_overdue_reviews

    today = reviews.clock()
    overdue = notify_overdue_reviews(session, today)
    expiring = notify_expiring_agreements(session, today)
    return f"{overdue} overdue-review and {expiring} expiring-agreement notices"


def mail(session: Session, config: Any) -> str:
    from catalog.services.mail import SmtpSettings, send_pending

    if not config.get("SMTP_URL"):
        return "no CATALOG_SMTP_URL: notices stay in the catalog"
    settings = SmtpSettings.from_url(config["SMTP_URL"], config["MAIL_FROM"])
    from catalog.exports.catalogs import export_context

    site = export_context(config).base_url.rstrip("/")
    return f"{send_pending(session, settings, site)} notices e-mailed"


def exports(session: Session, config: Any) -> str:
    """Rebuild the catalog files' fragments of datasets that changed since the last run."""
    from catalog.exports.catalogs import export_context, prepare_all

    return f"{prepare_all(session, export_context(config))} export fragments rebuilt"


def reports(session: Session, config: Any) -> str:
    """This year's annual report on interagency data sharing, as CSV and XLSX files under
    ``<instance>/reports/`` (replaced on each run)."""
    from catalog.services import review_report
    from catalog.services.reviews import clock

    year = clock().year
    report = review_report.build_annual_report(session, year)
    folder = Path(config["INSTANCE_DIR"]) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"sharing-report-{year}"
    _replace(stem.with_suffix(".csv"), review_report.report_csv(report).encode())
    _replace(stem.with_suffix(".xlsx"), review_report.report_xlsx(report))
    return f"report {year} written to {stem}.csv and .xlsx"


def _replace(path: Path, data: bytes) -> None:
    """Write beside, then rename: a reader never sees half a file, two writers never mix."""
    partial = path.with_name(f".{path.name}.{id(data)}.part")
    partial.write_bytes(data)
    partial.replace(path)


PERIODIC: dict[str, Callable[[Session, Any], str]] = {
    "linkcheck": link_checks,
    "snapshot": snapshot,
    "notices": notices,
    "mail": mail,
    "reports": reports,
    "exports": exports,
}


def periodic_schedules(config: Any) -> dict[str, str | None]:
    """Each periodic task's schedule from the settings (``off`` or empty: not run)."""
    schedules = {}
    for name in PERIODIC:
        value = (config.get(f"SCHEDULE_{name.upper()}") or "").strip()
        schedules[name] = None if value.lower() in ("", "off", "none") else value
    return schedules


def run_dispatch(app: Flask) -> Work:
    with app.app_context():
        try:
            return dispatch(
                db.session,
                periodic_schedules(app.config),
                timezone=app.config.get("SCHEDULE_TIMEZONE") or "UTC",
                dead_after=dead_after(app.config),
                max_attempts=int(app.config.get("JOB_MAX_ATTEMPTS") or 3),
            )
        finally:
            db.session.remove()


def run_harvest_job(app: Flask, job_id: int) -> HarvestJob | None:
    with app.app_context():
        try:
            return run_job(db.session, job_id, app.config)
        finally:
            db.session.remove()


def run_periodic(app: Flask, name: str) -> str:
    """Run one periodic task; its outcome is kept on its ``scheduled_task`` row."""
    with app.app_context():
        session = db.session
        try:
            summary = PERIODIC[name](session, app.config)
            task_finished(session, name)
            session.commit()
            log.info("%s: %s", name, summary)
            return summary
        except Exception as exc:
            session.rollback()
            task_finished(session, name, f"{type(exc).__name__}: {exc}")
            session.commit()
            raise
        finally:
            db.session.remove()


def queued_job_ids(app: Flask) -> list[int]:
    with app.app_context():
        try:
            return list(
                db.session.scalars(
                    select(HarvestJob.id)
                    .where(HarvestJob.status == JOB_QUEUED)
                    .order_by(HarvestJob.queued_at, HarvestJob.id)
                )
            )
        finally:
            db.session.remove()
