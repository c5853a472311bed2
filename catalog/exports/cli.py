"""``manage.py export data.json|dcat-us-3|ttl|jsonld|csv|xlsx --out FILE``."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from catalog.cli import fail_on_service_errors
from catalog.db import db
from catalog.dcat.validation import v3_errors, v11_errors
from catalog.exports.catalogs import CATALOGS, export_context, iter_catalog, prepare
from catalog.exports.fragments import active_ids
from catalog.exports.selection import select_datasets
from catalog.exports.tables import iter_csv, write_xlsx


@click.command("export")
@click.argument("kind", type=click.Choice([*CATALOGS, "csv", "xlsx"]))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--base-url",
    default=None,
    help="The site's public address, used for @id and dataset page links "
    "(default: CATALOG_PUBLIC_URL, else http://127.0.0.1:5000/).",
)
@click.option("--agency", default=None, help="CSV/XLSX: only this agency's datasets.")
@click.option("--access-level", default=None, help="CSV/XLSX: only this access level.")
@click.option("--q", default=None, help="CSV/XLSX: only datasets this search finds.")
@click.option(
    "--validate", is_flag=True, help="data.json, dcat-us-3: check it against the official schema."
)
@with_appcontext
@fail_on_service_errors
def export_command(
    kind: str,
    out_path: str,
    base_url: str | None,
    agency: str | None,
    access_level: str | None,
    q: str | None,
    validate: bool,
) -> None:
    """Write the public inventory as a catalog (DCAT-US 1.1 data.json, DCAT-US 3.0, Turtle or
    JSON-LD), or a dataset listing as CSV or XLSX.

    Exports are what an anonymous visitor may see: no governance fields, no access paths of
    datasets that are not public.
    """
    count = 0
    if kind in CATALOGS:
        ctx = export_context(current_app.config, base_url)
        prepare(db.session, kind, ctx)
        db.session.commit()
        with open(out_path, "w", encoding="utf-8") as handle:
            for chunk in iter_catalog(db.session, kind, ctx):
                handle.write(chunk)
        count = sum(1 for _ in active_ids(db.session))
        if validate and kind in ("data.json", "dcat-us-3"):
            with open(out_path, encoding="utf-8") as handle:
                document = json.load(handle)
            problems = v11_errors(document) if kind == "data.json" else v3_errors(document)
            if problems:
                raise click.ClickException(f"{len(problems)} schema errors, first: {problems[0]}")
    else:
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
