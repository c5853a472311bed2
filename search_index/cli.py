"""``manage.py index rebuild``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select

from catalog.db import db
from catalog.errors import ServiceError
from catalog.models import Dataset

index = AppGroup("index", help="The search index.")


@index.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database (searches keep working meanwhile)."""
    try:
        _rebuild()
    except (ServiceError, OSError) as exc:
        # As catalog.cli.fail_on_service_errors does (catalog.cli imports this module).
        db.session.rollback()
        raise click.ClickException(f"Index rebuild failed: {exc}") from None


def _rebuild() -> None:
    from search_index import get_store
    from search_index.service import rebuild

    store = get_store(current_app)
    total = db.session.scalar(select(func.count()).select_from(Dataset)) or 0
    with Progress(
        TextColumn("Indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stdout.isatty(),
    ) as progress:
        task = progress.add_task("index", total=total)
        count = rebuild(store, db.session, progress=lambda n: progress.advance(task, n))
    click.echo(f"Indexed {count} datasets into {store.root}.")
