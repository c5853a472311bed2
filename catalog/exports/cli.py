"""``manage.py export data.json|csv|xlsx --out FILE``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from catalog.cli import fail_on_service_errors
from catalog.db import db
from catalog.exports.datajson import iter_data_json, validation_errors
from catalog.exports.selection import select_datasets
from catalog.exports.tables import iter_csv, write_xlsx


@click.command("export")
@click.argument("kind", type=click.Choice(["data.json", "csv", "xlsx"]))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000/",
    show_default=True,
    help="The site's public address, used for @id and dataset page links in data.json.",
)
@click.option("--agency", default=None, help="CSV/XLSX: only this agency's datasets.")
@click.option("--access-level", default=None, help="CSV/XLSX: only this access level.")
@click.option("--q", default=None, help="CSV/XLSX: only datasets this search finds.")
@click.option("--validate", is_flag=True, help="data.json: check it against the official schema.")
@with_appcontext
@fail_on_service_errors
def export_command(
    kind: str,
    out_path: str,
    base_url: str,
    agency: str | None,
    access_level: str | None,
    q: str | None,
    validate: bool,
) -> None:
    """Write the public inventory as data.json, or a dataset listing as CSV or XLSX.

    Exports are what an anonymous visitor may see: no governance fields, no access paths of
    datasets that are not public.
    """
    base = base_url.rstrip("/") + "/"
    count = 0
    if kind == "data.json":
        with open(out_path, "w", encoding="utf-8") as handle:
            for chunk in iter_data_json(
                db.session, f"{base}data.json", lambda d: f"{base}datasets/{d.id}"
            ):
                handle.write(chunk)
                count += 1
        count = max(count - 2, 0)
        if validate:
            with open(out_path, encoding="utf-8") as handle:
                problems = validation_errors(json.load(handle))
            if problems:
                raise click.ClickException(f"{len(problems)} schema errors, first: {problems[0]}")
    else:
        from flask import current_app

        from search_index import get_store
        from search_index.params import from_args

        args = {"agency": agency, "access_level": access_level, "q": q}
        params = from_args({k: v for k, v in args.items() if v})
        datasets = select_datasets(db.session, get_store(current_app), params, None)
        if kind == "csv":
            with open(out_path, "w", encoding="utf-8", newline="") as handle:
                for count, chunk in enumerate(iter_csv(datasets, None)):  # noqa: B007
                    handle.write(chunk)
            count = max(count - 1, 0)
        else:
            with open(out_path, "wb") as handle:
                count = write_xlsx(datasets, None, handle)
    click.echo(f"Wrote {count} datasets to {out_path}.")
