"""A visitor and a steward use the site in real Chromium; keyboard use; labels and landmarks."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import check_page

PASSWORD = "correct horse battery"
# The focused element's label text (form fields) or its own text (buttons, links).
FOCUSED_NAME_JS = """() => {
  const e = document.activeElement;
  return e.labels && e.labels.length ? e.labels[0].textContent.trim() : e.textContent.trim();
}"""

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def catalog(make_dataset):
    health = make_dataset(
        title="Hospital discharges by town",
        identifier="dph-discharges",
        agency="DPH",
        distribution=[
            {
                "title": "CSV",
                "downloadURL": "https://data.ct.gov/api/views/abcd-1234/rows.csv",
                "mediaType": "text/csv",
                "format": "CSV",
            }
        ],
        columns=[{"name": "town", "type": "text", "description": "Patient town"}],
    )
    roads = make_dataset(
        title="Road closures",
        identifier="dot-roads",
        agency="DOT",
        description="Planned closures of state roads.",
        keyword=["traffic"],
    )
    registry = make_dataset(
        title="Immunization registry extract",
        identifier="dph-ctwiz",
        agency="DPH",
        accessLevel="non-public",
        rights="Protected health information (HIPAA); not released.",
    )
    return {"health": health, "roads": roads, "registry": registry}


def apply_agency_filter(page, agency_name: str) -> None:
    """Tick the agency in the "Agency" facet group and apply the filters."""
    group = page.get_by_role("group", name="Agency")
    group.get_by_label(re.compile(f"^{re.escape(agency_name)}")).check()
    page.get_by_role("button", name="Apply filters").click()


def test_visitor_filters_the_list_and_opens_a_dataset(page, catalog, screenshot):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Road closures")).to_be_visible()
    check_page(page)
    screenshot(page, "01-dataset-list")

    # Search: the box is there (a combobox once autocomplete attaches), and a word narrows it.
    page.get_by_role("combobox", name="Search titles, descriptions and keywords").fill("closures")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name="Road closures")).to_be_visible()
    expect(page.get_by_role("link", name="Hospital discharges by town")).to_have_count(0)
    assert "q=closures" in page.url
    page.goto("/")

    apply_agency_filter(page, "Department of Transportation")
    expect(page.get_by_role("link", name="Road closures")).to_be_visible()
    expect(page.get_by_role("link", name="Hospital discharges by town")).to_have_count(0)
    assert "agency=" in page.url
    screenshot(page, "02-dataset-list-filtered")

    page.get_by_role("link", name="Road closures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Road closures")
    expect(page.get_by_text("Planned closures of state roads.")).to_be_visible()
    check_page(page)
    screenshot(page, "03-dataset-page")


def test_visitor_sees_distributions_and_the_data_dictionary(page, catalog, screenshot):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(f"/datasets/{catalog['health'].id}")
    expect(page.get_by_role("heading", name="Distributions")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Download"))).to_have_attribute(
        "href", re.compile(r"rows\.csv$")
    )
    expect(page.get_by_role("table").get_by_text("Patient town")).to_be_visible()
    check_page(page)


def test_visitor_finds_how_to_request_a_non_public_dataset(page, catalog, screenshot):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(f"/datasets/{catalog['registry'].id}")
    section = page.get_by_role("region", name="How to request access")
    expect(section).to_be_visible()
    expect(section.get_by_text("HIPAA")).to_be_visible()
    link = section.get_by_role("link", name="Email an access request")
    expect(link).to_have_attribute("href", re.compile(r"^mailto:data\.officer@ct\.gov\?subject="))
    check_page(page)
    screenshot(page, "04-dataset-request-access")


def test_steward_signs_in_and_edits_a_dataset(page, catalog, make_user, screenshot):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov", password=PASSWORD)

    page.goto("/login")
    check_page(page)
    screenshot(page, "05-sign-in")
    page.get_by_label("Email").fill("pat@dph.ct.gov")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as pat@dph.ct.gov.")).to_be_visible()

    page.goto(f"/datasets/{catalog['health'].id}")
    page.get_by_role("link", name="Edit this dataset").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")
    check_page(page)
    screenshot(page, "06-edit-form")
    page.get_by_label("Title").fill("Hospital discharges by town and year")
    page.get_by_label("Keywords").fill("health, hospitals, discharges")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hospital discharges by town and year"
    )
    history = page.get_by_role("region", name="Change history")
    expect(history.get_by_text("dataset.update")).to_be_visible()
    screenshot(page, "07-dataset-after-edit")


def test_steward_sees_field_errors_next_to_the_field(page, catalog, make_user):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov", password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Email").fill("pat@dph.ct.gov")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/datasets/{catalog['health'].id}/edit")
    page.get_by_label("Landing page URL").fill("not a url")
    page.get_by_role("button", name="Save changes").click()

    field = page.get_by_label("Landing page URL")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("The dataset was not saved")
    check_page(page)


def test_keyboard_skip_link_and_form_fields(page, catalog):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # From the main content, Tab reaches the first form control, announced by its label.
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("() => ['INPUT', 'SELECT'].includes(document.activeElement.tagName)"):
            break
    else:
        pytest.fail("Tab never reached a form control on the dataset list")
    assert page.evaluate(FOCUSED_NAME_JS), "the first form control has no label"

    page.goto("/login")
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        label = page.evaluate(FOCUSED_NAME_JS)
        reached.append(label)
        if label == "Sign in" and page.evaluate("() => document.activeElement.tagName") == "BUTTON":
            break
    assert "Email" in reached and "Password" in reached
    page.get_by_label("Email").focus()
    page.keyboard.type("nobody@example.ct.gov")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Email or password not recognised.")).to_be_visible()


def test_machine_readable_exports_are_linked_from_every_page(page, catalog):
    page.goto("/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download_info.value.suggested_filename.endswith(".csv")
    response = page.request.get("/data.json")
    assert response.ok and response.json()["conformsTo"].endswith("/v1.1/schema")
