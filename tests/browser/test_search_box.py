"""The search box in Chromium: autocomplete with JavaScript, the same search without it, and
"download these results" giving the hits."""

from __future__ import annotations

import csv
import io

import requests

from tests.browser.a11y import check_page


def test_typing_offers_titles_and_keywords(page, make_dataset):
    make_dataset(title="Hospital discharges by town", keyword=["hospitals"])
    make_dataset(title="Road closures", keyword=["traffic"])
    page.goto("/")
    page.get_by_label("Search titles, descriptions and keywords").press_sequentially("hosp")
    options = page.locator("datalist#q-suggestions option")
    options.first.wait_for(state="attached")
    values = options.evaluate_all("(nodes) => nodes.map((n) => n.value)")
    assert values[0] == "Hospital discharges by town"
    assert "hospitals" in values
    assert "Road closures" not in values
    check_page(page)  # the enhanced box keeps its label, ids stay unique


def test_the_form_works_without_javascript(browser, live_server, make_dataset):
    make_dataset(title="Hospital discharges by town")
    make_dataset(title="Road closures", description="Planned closures of state roads.")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.locator("datalist").count() == 0
        page.get_by_label("Search titles, descriptions and keywords").fill("roads")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/?q=roads*")
        assert page.get_by_role("heading", name="Road closures").count() == 1
        assert page.get_by_text("1 dataset for").count() == 1
    finally:
        context.close()


def test_download_these_results_gives_exactly_the_hits(page, live_server, make_dataset):
    for n in range(3):
        make_dataset(title=f"River survey {n}", agency=("DPH", "DOT")[n % 2])
    make_dataset(title="Road closures")
    page.goto("/?q=river&agency=DPH&sort=title")
    hits = page.locator("ol.results h3").all_inner_texts()
    link = page.locator(".downloads").get_by_role("link", name="CSV file").get_attribute("href")
    body = requests.get(f"{live_server}{link}", timeout=30).content.decode("utf-8-sig")
    assert (
        [row["title"] for row in csv.DictReader(io.StringIO(body))]
        == hits
        == [
            "River survey 0",
            "River survey 2",
        ]
    )
