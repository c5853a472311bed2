"""`sources add/list/remove/suggest-mapping` and `harvest NAME... | --all`."""

from __future__ import annotations

import functools
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from catalog.db import db
from catalog.models import SOURCE_KINDS, SOURCE_ROLES

CLI_ACTOR = "cli"


def fail_on_service_errors(func):
    """``catalog.cli.fail_on_service_errors``, imported when called (catalog.cli imports us)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from catalog.cli import fail_on_service_errors as wrap

        return wrap(func)(*args, **kwargs)

    return wrapper


sources = AppGroup("sources", help="Harvest sources: portals, data.json files, inventories.")


@sources.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(SOURCE_KINDS), required=True)
@click.option("--url", required=True, help="Portal root, data.json address, or a file path.")
@click.option("--agency", default=None, help="Agency code for records matching no agency.")
@click.option(
    "--mapping",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Column mapping (TOML) for inventories.",
)
@click.option(
    "--schedule",
    default=None,
    help="When workers harvest it: cron ('0 3 * * *', Hartford time) or @hourly/@daily/@weekly.",
)
@click.option(
    "--role",
    type=click.Choice(SOURCE_ROLES),
    default=None,
    help="What the source tells the plan: an agency's inventory or a portal's publications "
    "(default: inventory for the inventory kind, portal otherwise).",
)
@with_appcontext
@fail_on_service_errors
def sources_add(
    name: str,
    kind: str,
    url: str,
    agency: str | None,
    mapping: str | None,
    schedule: str | None,
    role: str | None,
) -> None:
    """Register a harvest source."""
    from catalog.services.harvest import add_source

    source = add_source(
        db.session,
        name,
        kind,
        url,
        CLI_ACTOR,
        agency_code=agency,
        mapping_path=mapping,
        schedule=schedule,
        role=role,
    )
    db.session.commit()
    click.echo(f"Added source {source.name} ({source.kind}, {source.role}) {source.url}")


@sources.command("edit")
@click.argument("name")
@click.option("--url", default=None, help="A new address or path.")
@click.option("--agency", default=None, help="A new default agency code ('' for none).")
@click.option("--schedule", default=None, help="A new schedule ('' for none).")
@click.option("--pause/--resume", "paused", default=None, help="Stop or restart the schedule.")
@with_appcontext
@fail_on_service_errors
def sources_edit(
    name: str, url: str | None, agency: str | None, schedule: str | None, paused: bool | None
) -> None:
    """Change a source; a new schedule takes effect at the workers' next minute."""
    from catalog.services.harvest import update_source

    changes: dict = {"url": url, "paused": paused}
    if agency is not None:
        changes["agency_code"] = agency or None
    if schedule is not None:
        changes["schedule"] = schedule or None
    source = update_source(db.session, name, CLI_ACTOR, **changes)
    db.session.commit()
    state = "paused" if source.paused else "active"
    schedule = source.schedule or "none"
    click.echo(f"Source {source.name}: {source.url}, schedule {schedule} ({state})")


@sources.command("list")
@with_appcontext
def sources_list() -> None:
    """List sources with their last job."""
    from catalog.services.harvest import last_jobs, list_sources

    rows = list_sources(db.session)
    jobs = last_jobs(db.session, [s.id for s in rows])
    table = Table(
        "name", "kind", "role", "url", "agency", "schedule", "last job", "status", "counts"
    )
    for source in rows:
        job = jobs.get(source.id)
        counts = " ".join(f"{k}={v}" for k, v in job.counts.items()) if job else ""
        table.add_row(
            source.name,
            source.kind,
            source.role,
            source.url,
            source.agency_code or "",
            (source.schedule or "") + (" (paused)" if source.paused else ""),
            str(job.id) if job else "",
            job.status if job else "never run",
            counts,
        )
    Console(width=200).print(table)


@sources.command("remove")
@click.argument("name")
@with_appcontext
@fail_on_service_errors
def sources_remove(name: str) -> None:
    """Remove a source and its job history (its datasets stay)."""
    from catalog.services.harvest import remove_source

    remove_source(db.session, name, CLI_ACTOR)
    db.session.commit()
    click.echo(f"Removed source {name}.")


@sources.command("suggest-mapping")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def sources_suggest_mapping(path: str) -> None:
    """Print a mapping (TOML) guessed from a spreadsheet's headers, to check and save."""
    from pathlib import Path

    from harvesters.inventory import read_table
    from harvesters.suggest import mapping_to_toml, suggest_mapping

    frame = read_table(Path(path).read_bytes(), path)
    sample = frame.head(200).to_dict("records")
    click.echo(mapping_to_toml(suggest_mapping(list(frame.columns), sample)))


@click.command("harvest")
@click.argument("names", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Harvest every source.")
@with_appcontext
@fail_on_service_errors
def harvest_command(names: tuple[str, ...], all_sources: bool) -> None:
    """Harvest the named sources (or --all); exits non-zero when a job fails."""
    from catalog.services.harvest import get_source, list_sources
    from harvesters import HarvestFailed, run_harvest

    if all_sources == bool(names):
        raise click.UsageError("Give source names or --all (not both).")
    targets = (
        list_sources(db.session) if all_sources else [get_source(db.session, n) for n in names]
    )
    console = Console(stderr=True)
    results = []
    for source in targets:
        with Progress(
            TextColumn(f"[bold]{source.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task(source.name, total=None)

            def progress(
                done: int, total: int | None, _task: int = task, _bar: Progress = bar
            ) -> None:
                _bar.update(_task, completed=done, total=total)

            try:
                job = run_harvest(db.session, source, current_app.config, progress=progress)
            except HarvestFailed as exc:
                results.append((source.name, None, str(exc)))
                continue
        results.append((source.name, job, job.error))
    table = Table(
        "source", "job", "status", "added", "updated", "unchanged", "withdrawn", "failed", "error"
    )
    for name, job, error in results:
        if job is None:
            table.add_row(name, "", "failed", "", "", "", "", "", error or "")
            continue
        c = job.counts
        table.add_row(
            name,
            str(job.id),
            job.status,
            *(str(c[k]) for k in ("added", "updated", "unchanged", "withdrawn", "failed")),
            error or "",
        )
    Console(width=200).print(table)
    failed = [name for name, job, _e in results if job is None or job.status != "succeeded"]
    if failed:
        raise click.ClickException(f"Harvest failed for: {', '.join(failed)}")
