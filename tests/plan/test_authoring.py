"""The CDO writes a plan version in the catalog and takes it from draft to final; the public
sees only what is out for comment or adopted; every edit is in the audit trail."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.models import AuditEvent, PlanVersion
from catalog.services import plan_authoring as authoring
from catalog.services.plan import current_version, get_version
from tests.plan.conftest import csrf_from


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def post(client, url: str, data: dict, page: str = "/plan/admin"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_cdo_writes_a_version_from_a_copy_and_publishes_it_as_final(
    app, client, make_user, login, freeze_today
):
    freeze_today(date(2026, 12, 1))
    login(make_user("cdo", email="cdo@ct.gov"))
    created = post(
        client,
        "/plan/admin/versions",
        {
            "key": "2027-2028",
            "title": "State Data Plan 2027-2028",
            "copy_from": "2018-phase1-draft",
        },
    )
    assert created.status_code == 302 and created.location.endswith("/plan/admin/2027-2028")
    # The copy carries the previous version's principles and groups, as a draft.
    with app.app_context():
        draft = get_version(db.session, "2027-2028")
        assert draft.status == "draft" and draft.based_on == "2018-phase1-draft"
        assert [p.key for p in draft.principles] == [f"P{i}" for i in range(1, 13)]
    # Drafts are the CDO's: the public does not see them.
    assert app.test_client().get("/plan?version=2027-2028").status_code == 404

    page = "/plan/admin/2027-2028"
    assert (
        post(
            client,
            f"{page}/principle/P2",
            {"group": "A", "text": "Improve data quality every year."},
            page,
        ).status_code
        == 302
    )
    assert post(client, f"{page}/principle/P2/up", {}, page).status_code == 302
    assert post(client, f"{page}/principle/P12/remove", {}, page).status_code == 302
    assert (
        post(
            client,
            f"{page}/goal/new",
            {"key": "G1", "term": "two-year", "title": "Every agency keeps a current inventory"},
            page,
        ).status_code
        == 302
    )
    objective = {
        "key": "G1.1",
        "text": "Agencies that submitted their yearly inventory",
        "metric": "agencies with a submitted inventory",
        "target": "42",
        "unit": "agencies",
        "due": "2028-12-31",
    }
    assert post(client, f"{page}/objective/new?goal=G1", objective, page).status_code == 302
    assert (
        post(
            client,
            f"{page}/focal_point/new",
            {"key": "F1", "title": "Early childhood data", "description": ""},
            page,
        ).status_code
        == 302
    )
    assert (
        post(
            client,
            f"{page}/groups",
            {"key": "D", "title": "Open by default", "action": "add"},
            page,
        ).status_code
        == 302
    )

    # Out for comment with its window, then final: it becomes the plan in force.
    response = post(
        client,
        f"{page}/status",
        {"status": "consultation", "opens": "2026-12-01", "closes": "2026-12-20"},
        page,
    )
    assert response.status_code == 302
    public = app.test_client()
    html = public.get("/plan?version=2027-2028").get_data(as_text=True)
    text = text_of(html)
    assert "Open for comment" in text and 'name="comment"' in html
    assert "P1 Appreciate that" in text and "P2 Improve data quality every year." in text
    assert text.index("P2 Improve") < text.index("P1 Appreciate")  # moved up
    assert "P12" not in text  # removed
    assert "G1.1 Agencies that submitted their yearly inventory" in text
    assert "42 agencies" in text and "2028-12-31" in text
    assert "F1. Early childhood data" in text

    freeze_today(date(2027, 1, 2))
    assert (
        post(
            client, f"{page}/status", {"status": "final", "issued": "2027-01-01"}, page
        ).status_code
        == 302
    )
    html = public.get("/plan").get_data(as_text=True)
    assert "<h1>State Data Plan 2027-2028</h1>" in html
    assert "Final — the plan in force" in text_of(html)
    with app.app_context():
        assert current_version(db.session).key == "2027-2028"
        assert get_version(db.session, "2025-2026").status == "superseded"
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "plan_version", AuditEvent.entity_id == "2027-2028"
            )
        ).all()
        assert set(actions) >= {
            "plan.version.create",
            "plan.principle.update",
            "plan.principle.move",
            "plan.principle.remove",
            "plan.goal.create",
            "plan.objective.create",
            "plan.focal_point.create",
            "plan.group.save",
            "plan.version.status",
        }
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "plan.principle.update")
        ).one()
        assert event.actor_label == "cdo@ct.gov"
        assert event.before["text"].startswith("Perform continuous data quality improvement")
        assert event.after["text"] == "Improve data quality every year."
        superseded = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "plan.version.status", AuditEvent.entity_id == "2025-2026"
            )
        ).one()
        assert superseded.after == {"status": "superseded", "superseded_by": "2027-2028"}


def test_bad_element_input_is_shown_on_the_form_and_nothing_changes(app, client, make_user, login):
    login(make_user("cdo"))
    page = "/plan/admin/2025-2026"
    bad = post(
        client,
        f"{page}/objective/new?goal=G1",
        {"key": "G1.9", "text": "x", "metric": "m", "target": "lots", "due": ""},
        page,
    )
    assert bad.status_code == 404  # 2025-2026 has no goal G1
    assert (
        post(
            client, f"{page}/goal/new", {"key": "G1", "term": "two-year", "title": "A goal"}, page
        ).status_code
        == 302
    )
    bad = post(
        client,
        f"{page}/objective/new?goal=G1",
        {"key": "G1.9", "text": "x", "metric": "m", "target": "lots", "due": ""},
        page,
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Not a valid number." in html and "Missing data for required field." in html
    duplicate = post(
        client, f"{page}/goal/new", {"key": "G1", "term": "two-year", "title": "Again"}, page
    )
    assert duplicate.status_code == 422 and "Already used in this version." in duplicate.get_data(
        as_text=True
    )
    with app.app_context():
        version = get_version(db.session, "2025-2026")
        assert [g.title for g in version.goals] == ["A goal"] and not version.goals[0].objectives


def test_status_moves_follow_the_cycle(app, session, make_user):
    cdo = session.merge(make_user("cdo"))
    authoring.create_version(session, cdo, key="2027-2028", title="Next")
    with pytest.raises(InvalidInput):  # out for comment needs its window
        authoring.set_status(session, "2027-2028", "consultation", cdo)
    with pytest.raises(Conflict) as refused:
        authoring.set_status(session, "2027-2028", "superseded", cdo)
    assert "Allowed" in refused.value.message
    steward = session.merge(make_user("steward", agencies=("DPH",)))
    with pytest.raises(PermissionDenied):
        authoring.save_element(
            session, "2027-2028", "principle", {"key": "P1", "text": "t"}, steward
        )
    with pytest.raises(PermissionDenied):
        authoring.create_version(session, steward, key="x", title="x")
    session.rollback()


def test_removed_elements_keep_their_key_and_come_back_with_new_text(session, make_user):
    cdo = session.merge(make_user("cdo"))
    authoring.save_element(session, "2025-2026", "principle", {"key": "P1", "text": "One"}, cdo)
    authoring.remove_element(session, "2025-2026", "principle", "P1", cdo)
    assert not [p for p in get_version(session, "2025-2026").principles if not p.retired]
    authoring.save_element(session, "2025-2026", "principle", {"key": "P1", "text": "Two"}, cdo)
    (principle,) = get_version(session, "2025-2026").principles
    assert (principle.text, principle.retired) == ("Two", False)
    with pytest.raises(Conflict):  # a group with principles stays
        authoring.save_group(session, "2025-2026", "A", "Group", cdo)
        authoring.save_element(
            session, "2025-2026", "principle", {"key": "P2", "group": "A", "text": "x"}, cdo
        )
        authoring.remove_group(session, "2025-2026", "A", cdo)
    session.commit()


def test_cdo_exports_a_version_as_toml(app, client, make_user, login):
    login(make_user("cdo"))
    response = client.get("/plan/admin/2018-phase1-draft.toml")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'key = "2018-phase1-draft"' in body and 'id = "P12"' in body
    with app.app_context():
        assert (
            db.session.scalar(
                select(PlanVersion.status).where(PlanVersion.key == "2018-phase1-draft")
            )
            == "superseded"
        )
