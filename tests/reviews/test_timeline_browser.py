"""In a real headless Chromium: the CDO's timeline charts draw under the strict CSP."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reviews.conftest import login

USER_AGENT = "catalog-browser-test"

pytestmark = pytest.mark.browser  # the shared `browser` fixture skips without Chromium


def test_cdo_timeline_charts_draw_without_csp_violations(
    app, client, browser, live_server, open_review, clock, restricted_dataset
):
    clock(date(2026, 1, 1))
    open_review()
    clock(date(2026, 3, 2))
    open_review(requesting_agency_code="DOT")
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    login(client, "cdo@ct.gov")
    cookie = client.get_cookie("session")
    assert cookie is not None

    problems: list[str] = []
    context = browser.new_context(user_agent=USER_AGENT)
    try:
        context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server}/reviews/timeline")
        page.wait_for_selector("#due-chart[data-drawn='1']", timeout=10_000)
        page.wait_for_selector("#flow-chart[data-drawn='1']", timeout=10_000)
        assert page.evaluate("Chart.getChart('due-chart').data.datasets[0].data[0]") == 1
        page.goto(f"{live_server}/datasets/{restricted_dataset.id}")
        assert page.get_by_role("heading", name="Why isn't this open?").is_visible()
    finally:
        context.close()
    assert problems == []
