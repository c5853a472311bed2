"""`manage.py plan export|import` (the plan as TOML) and `manage.py plan open-cycle YEAR`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from catalog.cli import fail_on_service_errors
from catalog.db import db

CLI_ACTOR = "cli"

plan = AppGroup("plan", help="The State Data Plan: versions as TOML, the yearly inventory cycle.")


@plan.command("export")
@click.argument("key")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@fail_on_service_errors
def plan_export(key: str, out: Path | None) -> None:
    """Write plan version KEY as TOML (to --out, else to standard output)."""
    from catalog.services.plan import get_version
    from catalog.services.plan_io import export_toml

    text = export_toml(get_version(db.session, key))
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {key} to {out}.")


@plan.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite the version if its key exists.")
@fail_on_service_errors
def plan_import(file: Path, replace: bool) -> None:
    """Import a plan version from a TOML file (the format `plan export` writes)."""
    from catalog.services.plan_io import import_plan

    version = import_plan(db.session, file.read_text(encoding="utf-8"), CLI_ACTOR, replace=replace)
    db.session.commit()
    click.echo(f"Imported {version.key} ({version.status}).")


@plan.command("open-cycle")
@click.argument("year", type=int)
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--as", "email", required=True, help="The CDO's account email.")
@fail_on_service_errors
def plan_open_cycle(year: int, due, email: str) -> None:
    """Open YEAR's inventory cycle (due December 31 unless --due)."""
    from catalog.services.inventory_cycle import open_cycle
    from catalog.services.users import get_user_by_email

    due_on: date | None = due.date() if due else None
    cycle = open_cycle(db.session, get_user_by_email(db.session, email), year, due_on=due_on)
    db.session.commit()
    click.echo(f"The {cycle.year} inventory cycle is open, due {cycle.due_on.isoformat()}.")
