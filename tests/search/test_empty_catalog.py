"""A new catalog (after ``init``, before any harvest) answers searches with no results."""

from __future__ import annotations


def test_text_search_on_an_empty_catalog_finds_nothing_rather_than_failing(client) -> None:
    assert client.get("/api/v1/datasets").get_json()["total"] == 0  # the (empty) index is built
    body = client.get("/api/v1/datasets?q=inspections&agency=DPH")
    assert body.status_code == 200
    assert (body.get_json()["total"], body.get_json()["items"]) == (0, [])
    page = client.get("/?q=inspections")
    assert page.status_code == 200
