"""The search page at /: works as a plain HTML form, labelled, with facets, badges and pages."""

from __future__ import annotations

import re


def test_search_page_shows_results_facets_badges_and_count(client, cdc_catalog):
    page = client.get("/?q=influenza").get_data(as_text=True)
    assert '<form method="get"' in page and 'role="search"' in page
    assert '<label for="q">' in page and 'id="q"' in page and 'value="influenza"' in page
    assert re.search(r"\d+ datasets? for “influenza”", page)
    assert "<mark" in page  # highlighted snippet
    assert "Conformance:" in page and "badge-" in page
    assert "<legend>Agency</legend>" in page and "<legend>Plan conformance</legend>" in page
    # Every facet checkbox has a label that names the value and its count.
    boxes = re.findall(r'<input type="checkbox" id="([^"]+)"', page)
    assert boxes and all(f'<label for="{b}">' in page for b in boxes)
    # Autocomplete is one external, deferred script (the form needs none: tests/browser).
    assert page.count("<script") == 1 and '<script src="/static/search.js" defer>' in page


def test_facet_filters_and_pagination_keep_the_query(client, cdc_catalog):
    page = client.get("/?agency=DPH&agency=DOT").get_data(as_text=True)
    assert 'value="DPH" checked' in page and 'value="DOT" checked' in page
    assert "Department of Children and Families" not in page.split("results-heading")[1]
    first = client.get("/?sort=title").get_data(as_text=True)
    assert 'rel="next"' in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "sort=title" in link and "page=2" in link
    second = client.get(link).get_data(as_text=True)
    assert "Page 2 of" in second and 'rel="prev"' in second


def test_user_text_is_escaped(client, cdc_catalog):
    page = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
