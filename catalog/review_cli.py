"""`python manage.py reviews ...`: the weekly look at sharing reviews from a terminal or cron."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from catalog.cli import fail_on_service_errors
from catalog.db import db

reviews = AppGroup("reviews", help="Sharing reviews, agreements and the annual report.")


@reviews.command("overdue")
@fail_on_service_errors
def overdue_command() -> None:
    """List open reviews past their due date, most overdue first."""
    from catalog.services import review_queries
    from catalog.services import reviews as review_service

    today = review_service.clock()
    _, rows = review_queries.list_reviews(
        db.session, review_queries.ReviewFilters(overdue=True), per_page=10_000, today=today
    )
    for review in rows:
        reviewer = review.reviewer.email if review.reviewer else "unassigned"
        click.echo(
            f"#{review.id}\t{review.state}\tdue {review.due_on} ({(today - review.due_on).days} d)"
            f"\t{review.dataset.agency.code}\t{review.dataset.title}\t{reviewer}"
        )
    click.echo(f"{len(rows)} overdue review(s) as of {today}.", err=True)


@reviews.command("expiring")
@fail_on_service_errors
def expiring_command() -> None:
    """List agreements in effect that expire within the warning window (60 days by default)."""
    from catalog.services import agreements as agreement_service

    rows = agreement_service.list_agreements(db.session, expiring=True)
    for agreement in rows:
        parties = ", ".join(a.code for a in agreement.parties)
        click.echo(f"#{agreement.id}\texpires {agreement.expires_on}\t{parties}\t{agreement.title}")
    click.echo(f"{len(rows)} agreement(s) expiring soon.", err=True)


@reviews.command("report")
@click.option("--year", type=int, default=None, help="Calendar year (default: this year).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.csv or FILE.xlsx")  # fmt: skip
@fail_on_service_errors
def report_command(year: int | None, out: Path) -> None:
    """Write the annual report on legal issues in interagency data sharing (PA 19-153)."""
    from catalog.services import review_report
    from catalog.services.reviews import clock

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise click.ClickException("--out must end in .csv or .xlsx")
    report = review_report.build_annual_report(db.session, year or clock().year)
    if suffix == ".csv":
        out.write_text(review_report.report_csv(report), encoding="utf-8")
    else:
        out.write_bytes(review_report.report_xlsx(report))
    totals = report.totals
    click.echo(
        f"Report {report.year} written to {out}: {totals['reviews']} reviews, "
        f"{totals['agreements_in_effect']} agreements in effect."
    )
