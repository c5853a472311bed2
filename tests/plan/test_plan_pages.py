"""/plan, /plan/print and the CDO's plan editing page, as visitors and the CDO see them."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import PlanPrinciple, PlanVersion
from catalog.services.plan import get_version
from catalog.services.plan_authoring import save_element
from tests.plan.conftest import csrf_from


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_plan_page_shows_principles_by_group_goals_and_focal_points(client):
    response = client.get("/plan?version=2018-phase1-draft")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    group_a = text.index("A. State data assets require careful and proactive stewardship")
    group_b = text.index("B. Create once use many times")
    group_c = text.index("C. Analysis and sharing of data is necessary")
    p4 = text.index("P4 Practice effective data stewardship")
    p9 = text.index("P9 ")
    p12 = text.index("P12 ")
    assert group_a < p4 < group_b < p9 < group_c < p12
    assert "Two-year goals" in text and "Longer-term goals" in text and "Focal points" in text
    # What the catalog does not have is said plainly, never filled with placeholder text.
    assert "Not written in the catalog yet: this version's two-year goals" in text
    assert "Not written in the catalog yet: this version's focal points" in text
    assert "Example" not in text
    assert "2018-08-01 to 2018-08-24" in text
    assert 'href="/plan/timeline"' in html
    # The version switcher lists every version and marks the current one.
    for key in ("2018-final", "2019-2020", "2021-2022", "2023-2024", "2025-2026"):
        assert f'href="/plan?version={key}"' in html
    assert '<span aria-current="page">State Data Plan — Phase 1 draft (August 2018)</span>' in html


def test_plan_without_version_shows_the_plan_in_force_and_says_what_is_not_written(client):
    html = client.get("/plan").get_data(as_text=True)
    assert "<h1>State Data Plan 2025-2026</h1>" in html
    text = text_of(html)
    assert "Final — the plan in force" in text
    assert "None of this version's text is written in the catalog yet" in text
    # ... and where the text that exists is: the Phase 1 draft's principles.
    assert 'href="/plan?version=2018-phase1-draft">State Data Plan — Phase 1 draft' in html
    assert "shared/" not in html and "config/plan" not in html
    assert client.get("/plan?version=nope").status_code == 404


def test_printable_version_uses_the_print_stylesheet(client):
    response = client.get("/plan/print?version=2018-phase1-draft")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "plan-print.css" in html and "<form" not in html
    assert "Create, acquire, use, and disseminate data deliberately" in html
    css = client.get("/static/plan-print.css")
    assert "@media print" in css.get_data(as_text=True)
    css.close()


def test_printable_plan_downloads_as_pdf(client):
    pytest.importorskip("weasyprint")
    assert 'href="/plan/print.pdf?version=2018-phase1-draft"' in client.get(
        "/plan/print?version=2018-phase1-draft"
    ).get_data(as_text=True)

    response = client.get("/plan/print.pdf?version=2018-phase1-draft")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "ct-state-data-plan-2018-phase1-draft.pdf" in response.headers["Content-Disposition"]


STANDARDS = """
[rule_set]
key = "metadata-completeness"
plan = "2018-phase1-draft"
version = 2

[[rule_set.rule]]
id = "license-declared"
title = "A license from the allowed list is declared"
principle = "P3"

[[rule_set.rule]]
id = "contact-valid"
title = "The contact email is valid"
principle = "P10"

[[rule_set.rule]]
id = "other-plan"
title = "Belongs to another plan"
principle = "P3"
plan = "2025-2026"
"""


def test_principles_link_to_the_standards_that_implement_them(
    app, client, tmp_path, monkeypatch, make_user
):
    config = tmp_path / "config"
    (config / "standards").mkdir(parents=True)
    (config / "standards" / "metadata.toml").write_text(STANDARDS, encoding="utf-8")
    (config / "standards" / "broken.toml").write_text("this is = = not toml", encoding="utf-8")
    monkeypatch.setitem(app.config, "CONFIG_DIR", str(config))

    html = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)

    p3 = html.split('id="principle-P3"')[1].split("</li>\n")[0]
    assert "A license from the allowed list is declared" in p3
    assert "metadata-completeness · license-declared" in p3
    assert "Belongs to another plan" not in p3
    p10 = html.split('id="principle-P10"')[1].split("</li>\n")[0]
    assert "The contact email is valid" in p10
    with app.app_context():
        cdo = db.session.merge(make_user("cdo"))
        save_element(
            db.session, "2025-2026", "principle", {"key": "P3", "text": "Govern data well."}, cdo
        )
        db.session.commit()
    other = client.get("/plan?version=2025-2026").get_data(as_text=True)
    assert "Belongs to another plan" in other


SIBLING_STANDARDS = """
[standard]
id = "timeliness"
plan = "2018-phase1-draft"

[[rules]]
id = "updated-on-schedule"
name = "Updated as often as declared"
principle = ["P2", "P7"]
"""


def test_rules_beside_their_rule_set_table_are_linked_too(app, client, tmp_path, monkeypatch):
    (tmp_path / "standards").mkdir()
    (tmp_path / "standards" / "timeliness.toml").write_text(SIBLING_STANDARDS, encoding="utf-8")
    monkeypatch.setitem(app.config, "CONFIG_DIR", str(tmp_path))

    html = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)

    for key in ("P2", "P7"):
        item = html.split(f'id="principle-{key}"')[1].split("</li>\n")[0]
        assert "Updated as often as declared" in item


def test_no_standards_folder_means_no_standards_links(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CONFIG_DIR", str(tmp_path))
    html = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    assert "Standards implementing this principle" not in html


@pytest.fixture
def linked_principle(app):
    """Principle P11 of the Phase 1 draft names a dataset; restored afterwards."""
    state = {}

    def _link(refs: list[str], themes: list[str]) -> None:
        with app.app_context():
            principle = get_version(db.session, "2018-phase1-draft").principles[10]
            state["id"] = principle.id
            principle.datasets, principle.themes = refs, themes
            db.session.commit()

    yield _link
    with app.app_context():
        principle = db.session.get(PlanPrinciple, state["id"])
        principle.datasets, principle.themes = [], []
        db.session.commit()


def test_plan_elements_link_to_their_datasets(client, make_dataset, linked_principle):
    dataset = make_dataset(title="Street address points", identifier="ct-address-points")
    linked_principle(["ct-address-points"], ["Geospatial"])

    html = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)

    p11 = html.split('id="principle-P11"')[1].split('id="principle-P12"')[0]
    assert f'href="/datasets/{dataset.id}">Street address points</a>' in p11
    assert 'href="/?theme=Geospatial"' in p11


def test_cdo_opens_a_comment_window_on_the_admin_page(app, client, make_user, login, freeze_today):
    login(make_user("cdo"))
    page = client.get("/plan/admin").get_data(as_text=True)
    try:
        response = client.post(
            "/plan/admin/2025-2026/window",
            data={"csrf_token": csrf_from(page), "opens": "2026-11-01", "closes": "2026-12-15"},
        )
        assert response.status_code == 302
        freeze_today(date(2026, 11, 25))
        html = client.get("/plan?version=2025-2026").get_data(as_text=True)
        assert 'name="comment"' in html
    finally:
        with app.app_context():
            version = db.session.scalar(select(PlanVersion).where(PlanVersion.key == "2025-2026"))
            version.comment_opens = version.comment_closes = None
            db.session.commit()


def test_plan_admin_is_for_the_cdo_only(client, make_user, login):
    assert client.get("/plan/admin").status_code == 302
    login(make_user("steward", agencies=("DPH",)))
    assert client.get("/plan/admin").status_code == 403
    assert client.get("/plan/admin/2025-2026").status_code == 403
    assert client.get("/plan/admin/2025-2026/principle/new").status_code == 403


def test_nav_links_to_the_plan(client):
    assert 'href="/plan">The plan</a>' in client.get("/").get_data(as_text=True)
