"""In real Chromium: a resident comments on the plan; the CDO's dashboard chart draws."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import Feedback, PlanVersion
from catalog.services.conformance import take_snapshot
from tests.browser.a11y import check_page

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.browser


@pytest.fixture
def open_window(app):
    """Open the 2025-2026 plan's comment window for the test, then put it back."""
    with app.app_context():
        version = db.session.scalars(
            select(PlanVersion).where(PlanVersion.key == "2025-2026")
        ).one()
        saved = version.comment_opens, version.comment_closes
        today = date.today()
        version.comment_opens, version.comment_closes = (
            today - timedelta(days=1),
            today + timedelta(days=30),
        )
        db.session.commit()
    yield "2025-2026"
    with app.app_context():
        version = db.session.scalars(
            select(PlanVersion).where(PlanVersion.key == "2025-2026")
        ).one()
        version.comment_opens, version.comment_closes = saved
        db.session.commit()


def test_visitor_comments_on_the_plan(page, app, open_window, screenshot):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(f"/feedback?version={open_window}")
    check_page(page)
    page.get_by_label("Comment", exact=True).fill(
        "Please publish data dictionaries for every DPH dataset."
    )
    page.get_by_label("Your name (optional)").fill("A. Resident")
    screenshot(page, "20-feedback-form")
    page.get_by_role("button", name="Send comment").click()

    expect(page.get_by_text("Thank you: your comment was received.")).to_be_visible()
    with app.app_context():
        stored = db.session.scalars(select(Feedback)).one()
        assert stored.comment.startswith("Please publish data dictionaries")
        assert stored.name == "A. Resident" and stored.status == "new"
    # The submitter's name is never shown publicly.
    page.goto(f"/plan?version={open_window}")
    expect(page.get_by_text("A. Resident")).to_have_count(0)


def test_cdo_opens_the_dashboard_and_its_chart_draws(
    page, app, make_user, make_dataset, screenshot
):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_dataset(agency="DPH", title="Births by town")
    make_dataset(agency="DOT", title="Traffic counts", description="Counts.", keyword=["roads"])
    with app.app_context():
        take_snapshot(db.session)
        db.session.commit()
    make_user("cdo", email="cdo@opm.ct.gov", password=PASSWORD)

    page.goto("/login")
    page.get_by_label("Email").fill("cdo@opm.ct.gov")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard")
    check_page(page)

    expect(page.get_by_role("heading", name="Agencies × standards")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('trend-chart') !== undefined")
    series = page.evaluate("Chart.getChart('trend-chart').data.datasets.length")
    assert series >= 1
    assert page.evaluate("document.getElementById('trend-chart').width") > 0
    screenshot(page, "21-cdo-dashboard")
