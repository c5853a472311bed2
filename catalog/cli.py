"""Command-line commands. Each one is thin: it calls services and commits."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from catalog.db import db
from catalog.errors import ServiceError
from catalog.models import ROLES

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def fail_on_service_errors(func):
    """Turn a service error into a one-line reason and a non-zero exit."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            raise click.ClickException(f"{exc.message} {details}".strip()) from None

    return wrapper


@click.command("init")
@with_appcontext
@fail_on_service_errors
def init_command() -> None:
    """Create or upgrade the schema and load agencies, plan and standards."""
    loaded = run_init()
    parts = ", ".join(
        f"{name}: {added} added, {updated} updated" for name, (added, updated) in loaded.items()
    )
    click.echo(f"Catalog ready at {current_app.config['DATABASE_URL']} ({parts}).")


def run_init() -> dict:
    from catalog.services.bootstrap import init_catalog

    loaded = init_catalog(db.session, Path(current_app.config["CONFIG_DIR"]))
    db.session.commit()
    return loaded


@click.command("demo")
@with_appcontext
@click.option("--no-serve", is_flag=True, help="Prepare the demo catalog, then exit.")
@click.option("--port", default=5000, show_default=True, help="Port to serve on (127.0.0.1).")
@fail_on_service_errors
def demo_command(no_serve: bool, port: int) -> None:
    """Init, harvest the samples shipped in samples/, snapshot conformance, index, then serve."""
    from catalog.services.conformance import take_snapshot
    from catalog.services.users import ensure_demo_accounts
    from harvesters.demo import harvest_demo_sources
    from search_index import get_store
    from search_index.service import rebuild

    run_init()
    for line in harvest_demo_sources(db.session, current_app.config, SAMPLES_DIR):
        click.echo(line)
    # Harvests evaluate what they change; the snapshot and index cover everything.
    take_snapshot(db.session)
    db.session.commit()
    click.echo(f"Search index: {rebuild(get_store(current_app), db.session)} datasets indexed.")
    accounts = ensure_demo_accounts(db.session)
    db.session.commit()
    click.echo(f"\nSign in at http://127.0.0.1:{port}/login with a demo account")
    click.echo("(passwords shown once; running the demo again sets new ones):")
    for email, role, password in accounts:
        click.echo(f"  {role:<8} {email:<22} {password}")
    if not no_serve:
        _serve("127.0.0.1", port)


@click.command("run")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run_command(host: str, port: int) -> None:
    """Serve the catalog (development server; use gunicorn in production)."""
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from search_index import warm_up

    app = current_app._get_current_object()
    warm_up(app)  # the index caught up and opened before the first request
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True)


users = AppGroup("users", help="Accounts and API tokens.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agencies", multiple=True, help="Agency code (repeat for several).")
@click.option("--name", default=None)
@click.option(
    "--password",
    default=None,
    help="Asked for on a terminal when omitted; without one the account uses API tokens only.",
)
@fail_on_service_errors
def users_create(
    email: str, role: str, agencies: tuple[str, ...], name: str | None, password: str | None
) -> None:
    """Create an account."""
    from catalog.services.users import create_user

    if password is None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = create_user(
        db.session, email, role, agency_codes=list(agencies), name=name, password=password
    )
    db.session.commit()
    scope = ", ".join(a.code for a in user.agencies) or "all agencies"
    click.echo(f"Created {user.role} {user.email} ({scope}).")


@users.command("token")
@click.argument("email")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Days until the token expires (default CATALOG_API_TOKEN_DAYS; 0: never).",
)
@fail_on_service_errors
def users_token(email: str, days: int | None) -> None:
    """Print a new API token for EMAIL, once, alone on the last line."""
    from datetime import timedelta

    from catalog.services.users import get_user_by_email, issue_token

    days = current_app.config.get("API_TOKEN_DAYS", 90) if days is None else days
    lifetime = timedelta(days=days) if days else None
    token = issue_token(db.session, get_user_by_email(db.session, email), lifetime=lifetime)
    db.session.commit()
    expiry = f"expires in {days} days" if days else "does not expire"
    click.echo(f"New API token ({expiry}; shown once; store it safely):", err=True)
    click.echo(token)


@users.command("deactivate")
@click.argument("email")
@fail_on_service_errors
def users_deactivate(email: str) -> None:
    """Deactivate EMAIL: its sessions end at once and its API tokens are revoked."""
    from catalog.services.users import deactivate_user, get_user_by_email

    revoked = deactivate_user(db.session, get_user_by_email(db.session, email))
    db.session.commit()
    click.echo(f"Deactivated {email.strip().lower()}: sessions ended, {revoked} token(s) revoked.")


@users.command("revoke-tokens")
@click.argument("email")
@fail_on_service_errors
def users_revoke_tokens(email: str) -> None:
    """Revoke every API token of EMAIL."""
    from catalog.services.users import get_user_by_email, revoke_tokens

    revoked = revoke_tokens(db.session, get_user_by_email(db.session, email))
    db.session.commit()
    click.echo(f"Revoked {revoked} token(s) of {email.strip().lower()}.")


@click.command("backup")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
@fail_on_service_errors
def backup_command(out: Path) -> None:
    """Write every record and the audit trail to a gzipped JSON-lines file."""
    from catalog.services.backup import backup_database

    counts = backup_database(db.engine, out)
    click.echo(f"Backed up {sum(counts.values())} rows from {len(counts)} tables to {out}.")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@fail_on_service_errors
def restore_command(backup_file: Path) -> None:
    """Load a backup into an empty database (then rebuild the search index from it)."""
    from catalog.services.backup import restore_database

    counts = restore_database(db.engine, backup_file)
    click.echo(f"Restored {sum(counts.values())} rows into {len(counts)} tables.")
    click.echo("The search index is derived: rebuild it with `python manage.py index rebuild`.")


def all_commands() -> list[click.Command]:
    """Every command: the core's, then each area's (imported here to keep start-up light)."""
    from catalog.conformance_cli import conformance
    from catalog.exports.cli import export_command
    from catalog.plan_cli import plan
    from catalog.review_cli import reviews
    from harvesters.cli import harvest_command, sources
    from jobs.cli import worker_command
    from search_index.cli import index as index_commands

    return [
        init_command, demo_command, run_command, users, backup_command, restore_command,
        sources, harvest_command, conformance, index_commands, export_command, reviews, plan,
        worker_command,
    ]  # fmt: skip
