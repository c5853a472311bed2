"""``manage.py conformance evaluate | snapshot | links``."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from catalog.cli import fail_on_service_errors
from catalog.db import db

conformance = AppGroup("conformance", help="Evaluate datasets against the standards.")


@conformance.command("evaluate")
@click.option("--no-snapshot", is_flag=True, help="Do not store today's snapshot afterwards.")
@fail_on_service_errors
def evaluate_command(no_snapshot: bool) -> None:
    """Evaluate every active dataset, then store today's snapshot."""
    from catalog.services.conformance import evaluate_all, take_snapshot
    from catalog.standards import current_rule_set

    rule_set = current_rule_set()
    started = time.perf_counter()
    count = evaluate_all(db.session, rule_set)
    if not no_snapshot:
        take_snapshot(db.session, rule_set)
    db.session.commit()
    click.echo(
        f"Evaluated {count} datasets against {len(rule_set.rules)} rules ({rule_set.version}) "
        f"in {time.perf_counter() - started:.1f} s."
    )


@conformance.command("snapshot")
@fail_on_service_errors
def snapshot_command() -> None:
    """Store today's roll-ups per agency, standard and principle."""
    from catalog.services.conformance import take_snapshot

    snapshot = take_snapshot(db.session)
    db.session.commit()
    click.echo(
        f"Snapshot {snapshot.taken_on} ({snapshot.rule_set_version}): "
        f"{snapshot.dataset_count} datasets, "
        f"average score {snapshot.score if snapshot.score is not None else 'n/a'}."
    )


@conformance.command("links")
@click.option("--concurrency", default=8, show_default=True, help="Requests in flight at once.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--max-age-hours", default=24, show_default=True, help="Re-check links older than this."
)
@click.option("--limit", default=0, help="Check at most this many links (0: all).")
@fail_on_service_errors
def links_command(concurrency: int, timeout: float, max_age_hours: int, limit: int) -> None:
    """Check distribution links (cached), then re-evaluate the datasets concerned."""
    from catalog.services.linkcheck import run_link_checks

    answers, evaluated = run_link_checks(
        db.session,
        max_age=timedelta(hours=max_age_hours),
        limit=limit or None,
        concurrency=concurrency,
        timeout=timeout,
        allow_private=bool(current_app.config.get("HARVEST_ALLOW_PRIVATE")),
    )
    db.session.commit()
    broken = sum(1 for answer in answers if not answer.ok)
    click.echo(
        f"Checked {len(answers)} links: {len(answers) - broken} ok, {broken} broken; "
        f"{evaluated} datasets re-evaluated."
    )
