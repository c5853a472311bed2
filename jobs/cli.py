"""``manage.py worker``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Embedded worker: dispatch, run what is due, exit.")
@click.option("--no-beat", is_flag=True, help="With a broker: do not send the dispatch clock.")
@click.option("--loglevel", default="INFO", show_default=True)
@with_appcontext
def worker_command(once: bool, no_beat: bool, loglevel: str) -> None:
    """Run queued and scheduled jobs: a Celery worker with CATALOG_BROKER_URL, else in-process."""
    import logging

    from jobs.worker import EmbeddedWorker, run_celery_worker

    app = current_app._get_current_object()
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    if app.config.get("BROKER_URL"):
        if once:
            raise click.UsageError("--once is for the embedded worker (no CATALOG_BROKER_URL).")
        click.echo(f"Celery worker on queue {app.config['QUEUE_NAME']}", err=True)
        run_celery_worker(app, beat=not no_beat, loglevel=loglevel)
        return
    worker = EmbeddedWorker(app)
    if once:
        click.echo(f"{worker.run_once()} job(s) run.")
        return
    click.echo("Embedded worker (no CATALOG_BROKER_URL): jobs and schedules run here.", err=True)
    worker.run_forever()
