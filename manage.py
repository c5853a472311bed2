#!/usr/bin/env python
"""The catalog's command line: ``python manage.py --help``."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from config.settings import ConfigError


def _create_app():
    from catalog import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def build_cli() -> click.Group:
    # The commands come from the app (create_app registers catalog.cli.all_commands() on app.cli).
    return FlaskGroup(
        create_app=_create_app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        help="Connecticut State Data Catalog.",
    )


if __name__ == "__main__":
    build_cli()()
