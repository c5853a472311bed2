"""In real Chromium: the CDO writes a plan version and publishes it as final; an answer to a
comment shows on the plan; the progress report draws its charts; reconciliation on two sources;
an access plan turns published and late; a dataset's history; an access request opens a review."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import SharingReview
from catalog.services.feedback import submit_feedback
from tests.browser.a11y import check_page
from tests.plan_fixtures import cdc

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.browser
BIRTHS = ("urn:ct:dph:births-2024", "Births by town, 2024", "public")


@pytest.fixture
def expect():
    return pytest.importorskip("playwright.sync_api").expect


def sign_in(page, make_user, role: str, email: str, agencies=("DPH",)) -> None:
    make_user(role, agencies=agencies, email=email, password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_cdo_writes_a_plan_version_and_publishes_it_as_final(
    page, make_user, expect, freeze_today, screenshot
):
    freeze_today(date(2027, 1, 2))
    sign_in(page, make_user, "cdo", "cdo@opm.ct.gov")
    page.goto("/plan/admin")
    check_page(page)
    page.get_by_label("Key", exact=True).fill("2027-2028")
    page.get_by_label("Title").fill("State Data Plan 2027-2028")
    page.get_by_label("Start from a copy of").select_option(
        label="State Data Plan — Phase 1 draft (August 2018)"
    )
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft 2027-2028 created.")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Add a goal").click()
    page.get_by_label("Key", exact=True).fill("G1")
    page.get_by_label("Goal", exact=True).fill("Every agency keeps a current inventory")
    page.get_by_role("button", name="Save goal").click()
    page.get_by_role("link", name="Add an objective to G1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add an objective")
    check_page(page)
    page.get_by_label("Key", exact=True).fill("G1.1")
    page.get_by_label("Objective", exact=True).fill("Agencies submit their yearly inventory")
    page.get_by_label("Metric").fill("agencies with a submitted inventory")
    page.get_by_label("Target (a number)").fill("42")
    page.get_by_label("Unit (optional)").fill("agencies")
    page.get_by_label("Due date").fill("2028-12-31")
    page.get_by_role("button", name="Save objective").click()
    expect(page.get_by_text("Objective G1.1 saved.")).to_be_visible()
    page.get_by_label("Issued on").first.fill("2027-01-01")
    page.get_by_role("button", name="Publish as final").click()
    expect(page.get_by_text("is now: final")).to_be_visible()
    screenshot(page, "30-plan-version-final")

    page.goto("/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("State Data Plan 2027-2028")
    expect(page.get_by_text("Final — the plan in force")).to_be_visible()
    expect(page.get_by_text("Agencies submit their yearly inventory")).to_be_visible()
    expect(page.get_by_text("Appreciate that the data we collect")).to_be_visible()
    check_page(page)


def test_an_answer_appears_on_the_plan_under_the_principle(
    page, app, make_user, expect, freeze_today, screenshot
):
    freeze_today(date(2018, 8, 20))
    with app.app_context():
        submit_feedback(
            db.session,
            {"plan": "2018-phase1-draft", "target": "principle:P11", "publish_consent": True,
             "comment": "Please use the state's address standard everywhere.", "name": "Ana"},
        )  # fmt: skip
        db.session.commit()
    sign_in(page, make_user, "cdo", "cdo@opm.ct.gov")
    page.goto("/plan/feedback")
    check_page(page)
    page.get_by_label("Answer to #").first.fill("The 2019 standards adopt it.")
    page.get_by_label("Publish with the comment").check()
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_text("saved and published on the plan page")).to_be_visible()

    page.goto("/plan?version=2018-phase1-draft")
    principle = page.locator("#principle-P11")
    expect(
        principle.get_by_text("Please use the state's address standard everywhere.")
    ).to_be_visible()
    expect(principle.get_by_text("The 2019 standards adopt it.")).to_be_visible()
    expect(principle.get_by_text("A member of the public")).to_be_visible()  # no name consent
    screenshot(page, "31-answer-on-the-plan")


@pytest.mark.usefixtures("plan_objectives")
def test_progress_report_page_draws_its_charts_and_downloads(
    page,
    period_history,
    expect,
    freeze_today,
    screenshot,
):
    freeze_today(date(2027, 1, 15))
    page.goto("/reports/plan-progress?version=2025-2026")
    check_page(page)
    expect(page.get_by_text("The period has closed")).to_be_visible()
    chart = page.locator("svg#conformance-chart, figure svg").first
    expect(chart).to_be_visible()
    assert page.locator("figure svg rect").count() >= 4
    assert page.evaluate("document.querySelector('figure svg').getBoundingClientRect().width") > 200
    expect(page.get_by_role("cell", name="2026-H2")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Spreadsheet (XLSX)").click()
    assert download.value.suggested_filename == "plan-progress-2025-2026.xlsx"
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename == "plan-progress-2025-2026.pdf"
    screenshot(page, "32-progress-report")


def test_steward_reconciles_the_inventory_with_the_portal(
    page,
    make_user,
    dph_sources,
    harvest_named,
    expect,
    screenshot,
):
    made = dph_sources(
        [(cdc(0)["identifier"], cdc(0)["title"], "public"),
         (cdc(1)["identifier"], cdc(1)["title"], "non-public"), BIRTHS],
        [0, 1, 2],
    )  # fmt: skip
    harvest_named(made["inventory"])
    harvest_named(made["portal"])
    sign_in(page, make_user, "steward", "ado@dph.ct.gov")
    page.get_by_role("link", name="Reconciliation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventories and portals")
    check_page(page)
    expect(
        page.get_by_role("heading", name="Inventoried as public, on no portal (1)")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="On a portal, in no agency's inventory (1)")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="On a portal, but not public in the inventory (1)")
    ).to_be_visible()
    expect(page.get_by_role("link", name=BIRTHS[1])).to_be_visible()
    screenshot(page, "33-reconciliation")


def test_access_plan_entries_turn_published_and_late(
    page,
    make_user,
    dph_sources,
    harvest_named,
    portal_file,
    expect,
    freeze_today,
    screenshot,
):
    promised = (cdc(4)["identifier"], cdc(4)["title"], "public")
    made = dph_sources([promised, BIRTHS], [5])
    harvest_named(made["inventory"])
    harvest_named(made["portal"])
    freeze_today(date(2026, 3, 1))
    sign_in(page, make_user, "steward", "ado@dph.ct.gov")
    for words, target in ((promised[1].split()[0], "2027-06-30"), ("births", "2026-06-30")):
        page.goto("/agencies/DPH/access-plan")
        page.get_by_label("Find a DPH dataset").fill(words)
        page.get_by_role("button", name="Search").click()
        page.get_by_label("To publish by").fill(target)
        page.get_by_role("button", name="Add to the access plan").click()
        expect(page.get_by_text("Added to the access plan.")).to_be_visible()
    check_page(page)
    expect(page.locator("td.status-due")).to_have_count(2)

    portal_file([4, 5])
    harvest_named(made["portal"])
    freeze_today(date(2026, 7, 1))
    page.reload()
    row = page.get_by_role("row").filter(has_text=promised[1])
    expect(row.locator("td.status-published")).to_have_text("published")
    expect(
        page.get_by_role("row").filter(has_text=BIRTHS[1]).locator("td.status-late")
    ).to_have_text("late")
    screenshot(page, "34-access-plan")


def test_steward_reads_a_datasets_history_with_before_and_after(
    page, make_user, make_dataset, expect, screenshot
):
    dataset = make_dataset(title="Hospital discharges by town", agency="DPH")
    sign_in(page, make_user, "steward", "pat@dph.ct.gov")
    page.goto(f"/datasets/{dataset.id}/edit")
    page.get_by_label("Title").fill("Hospital discharges by town and year")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    page.get_by_role("link", name="Full history").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of")
    check_page(page)
    change = page.get_by_role("region", name="changed by pat@dph.ct.gov")
    title_row = change.get_by_role("row").filter(has_text="Title")
    expect(title_row.get_by_role("cell").nth(0)).to_have_text("Hospital discharges by town")
    expect(title_row.get_by_role("cell").nth(1)).to_have_text(
        "Hospital discharges by town and year"
    )
    screenshot(page, "35-dataset-history")


def test_access_request_opens_a_review(page, app, make_user, make_dataset, expect, screenshot):
    dataset = make_dataset(
        title="Immunization registry extract", agency="DPH", accessLevel="non-public",
        rights="Protected health information (HIPAA).",
    )  # fmt: skip
    sign_in(page, make_user, "steward", "analyst@dss.ct.gov", agencies=("DSS",))
    page.goto(f"/datasets/{dataset.id}")
    page.get_by_role("link", name="Request access for your agency").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request access to")
    check_page(page)
    page.get_by_label("What the data is needed for").fill("School-entry vaccination checks")
    page.get_by_label("Fields needed (optional)").fill("child_id, vaccine, date")
    page.get_by_label("Period from (optional)").fill("2025-09-01")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is recorded")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Immunization registry extract")
    expect(page.get_by_text("requested by Department of Social Services")).to_be_visible()
    with app.app_context():
        review = db.session.scalars(select(SharingReview)).one()
        assert review.opened_by == "analyst@dss.ct.gov" and review.state == "identified"
    screenshot(page, "36-access-request-review")
