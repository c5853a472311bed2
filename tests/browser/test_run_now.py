"""In real Chromium: a steward presses "Run now" on a source page; the page shows the job queued,
then (a worker having run it) follows it to its end without being reloaded by hand."""

from __future__ import annotations

import threading

import pytest

from catalog.db import db
from catalog.services.harvest import add_source
from jobs.worker import EmbeddedWorker
from tests.browser.a11y import check_page
from tests.conftest import FIXTURES

PASSWORD = "correct horse battery"
CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
pytestmark = pytest.mark.browser


def test_a_steward_presses_run_now_and_watches_the_job_succeed(
    page, app, make_user, screenshot, monkeypatch
):
    expect = pytest.importorskip("playwright.sync_api").expect
    # The worker runs in a thread of this process (beside the live server): no forks.
    monkeypatch.setitem(app.config, "HARVEST_WORKERS", 0)
    monkeypatch.setitem(app.config, "INDEX_IN_BACKGROUND", False)
    with app.app_context():
        add_source(db.session, "cdc", "dcat-us", str(CDC), "test", agency_code="DPH")
        db.session.commit()
    make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov", password=PASSWORD)

    page.goto("/login")
    page.get_by_label("Email").fill("pat@dph.ct.gov")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/harvest/sources/cdc")
    expect(page.locator("#status-heading + p")).to_contain_text("Never run")
    page.get_by_role("button", name="Run now").click()

    status = page.locator("#active-job [role=status]")
    expect(status).to_contain_text("queued")
    expect(status).to_contain_text("waiting for a worker")
    check_page(page)
    screenshot(page, "40-run-now-queued")

    worker = threading.Thread(target=EmbeddedWorker(app).run_once)
    worker.start()
    try:
        # The page polls the job and reloads when it ends: the last job is shown succeeded.
        expect(page.locator(".job-status [role=status]")).to_contain_text(
            "succeeded", timeout=60_000
        )
    finally:
        worker.join(120)
    expect(page.locator("tr.job-succeeded")).to_contain_text("60")
    check_page(page)
    screenshot(page, "41-run-now-succeeded")
