"""The API documentation page renders the OpenAPI document in real Chromium (no CDN, no CSP
violations), reached from the footer."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


def test_api_docs_page_lists_the_operations(page, screenshot):
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto("/")
    page.get_by_role("link", name="API documentation").click()
    page.wait_for_url("**/api/docs")
    page.locator(".opblock").first.wait_for()

    text = page.locator("#swagger-ui").inner_text()
    assert "/api/v1/datasets" in text
    assert "/catalog/dcat-us-3.json" in text
    assert "/api/3/action/{action}" in text
    assert len(hosts) == 1  # every script, style and the document from this site
    screenshot(page, "api-docs")
