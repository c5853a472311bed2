"""Public feedback: accepted only inside the plan version's comment window, every field optional,
a honeypot, contact details kept from public pages, and a CDO triage with an audited status and
a CSV safe from formula injection."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from catalog.db import db
from catalog.extensions import limiter
from catalog.models import AuditEvent, Feedback
from tests.plan.conftest import csrf_from

DURING_PHASE1 = date(2018, 8, 20)  # the Phase 1 draft took feedback until 2018-08-24
AFTER_PHASE1 = date(2018, 8, 25)
BEFORE_PHASE1 = date(2018, 7, 15)


def feedback_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Feedback))


def post_feedback(client, **fields):
    """Post the /feedback form as a browser does, with the CSRF token of a page it loaded."""
    page = client.get("/feedback?version=2018-phase1-draft").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "plan": "2018-phase1-draft", "target": "general"}
    data.update(fields)
    return client.post("/feedback", data=data)


def post_later(client, freeze_today, day, **fields):
    """Load the form while the window is open, send it on ``day`` (a stale page)."""
    freeze_today(DURING_PHASE1)
    page = client.get("/feedback?version=2018-phase1-draft").get_data(as_text=True)
    freeze_today(day)
    data = {"csrf_token": csrf_from(page), "plan": "2018-phase1-draft", "target": "general"}
    data.update(fields)
    return client.post("/feedback", data=data)


def test_plan_page_form_stores_a_comment_on_a_principle_while_the_window_is_open(
    client, app, freeze_today
):
    freeze_today(DURING_PHASE1)
    page = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    assert 'value="principle:P10"' in page
    link = "/feedback?version=2018-phase1-draft&amp;target=principle:P10"
    assert link in page
    preselected = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert '<option selected value="principle:P10">' in preselected

    response = client.post(
        "/feedback",
        data={
            "csrf_token": csrf_from(page),
            "plan": "2018-phase1-draft",
            "target": "principle:P10",
            "comment": "Publish the data-sharing agreements too.",
            "name": "Ada Resident",
            "email": "ada@example.org",
            "organisation": "Hartford Civic Data",
        },
    )

    assert response.status_code == 302
    assert "version=2018-phase1-draft" in response.headers["Location"]
    with app.app_context():
        stored = db.session.scalars(select(Feedback)).one()
        assert (stored.target_kind, stored.target_key, stored.status) == ("principle", "P10", "new")
        assert (stored.name, stored.email) == ("Ada Resident", "ada@example.org")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "feedback")
        ).one()
        assert "ada@example.org" not in str(event.after)


def test_every_field_is_optional(client, app, freeze_today):
    freeze_today(DURING_PHASE1)
    assert post_feedback(client, comment="Just a comment.").status_code == 302
    assert post_feedback(client, email="only-contact@example.org").status_code == 302
    assert feedback_count(app) == 2
    empty = post_feedback(client)
    assert empty.status_code == 422 and feedback_count(app) == 2
    bad_email = post_feedback(client, comment="Hi", email="not an address")
    assert bad_email.status_code == 422 and "Not a valid email address." in bad_email.get_data(
        as_text=True
    )
    assert feedback_count(app) == 2


def test_feedback_after_the_window_closed_is_refused_with_the_message_and_not_stored(
    client, app, freeze_today
):
    response = post_later(
        client, freeze_today, AFTER_PHASE1, comment="Late", email="late@example.org"
    )

    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert (
        "Public comment on State Data Plan — Phase 1 draft (August 2018) closed on August 24, 2018"
        in html
    )
    assert "Your comment was not stored." in html
    assert feedback_count(app) == 0
    plan_page = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    assert "closed on August 24, 2018" in plan_page
    assert 'name="comment"' not in plan_page


def test_feedback_before_the_window_opens_is_refused(client, app, freeze_today):
    response = post_later(client, freeze_today, BEFORE_PHASE1, comment="Too early")
    assert response.status_code == 403
    assert "opens on August 1, 2018" in response.get_data(as_text=True)
    assert feedback_count(app) == 0


def test_versions_without_a_window_refuse_comments_today(client, app, freeze_today):
    response = post_later(client, freeze_today, date(2026, 11, 25), plan="2025-2026", comment="Hi")
    assert response.status_code == 403
    assert "State Data Plan 2025-2026 is not open for public comment" in response.get_data(
        as_text=True
    )
    assert feedback_count(app) == 0


def test_honeypot_submissions_look_accepted_but_are_not_stored(client, app, freeze_today):
    freeze_today(DURING_PHASE1)
    response = post_feedback(client, comment="Buy cheap pills", website="http://spam.example")
    assert response.status_code == 302
    assert feedback_count(app) == 0


def test_feedback_without_csrf_token_is_refused(client, app, freeze_today):
    freeze_today(DURING_PHASE1)
    response = client.post("/feedback", data={"plan": "2018-phase1-draft", "comment": "x"})
    assert response.status_code == 400
    assert feedback_count(app) == 0


def test_dataset_page_form_comments_on_the_dataset_under_the_newest_open_version(
    client, app, make_dataset, freeze_today
):
    dataset = make_dataset()
    closed = client.get(f"/datasets/{dataset.id}").get_data(as_text=True)
    assert "no version of the State Data Plan is open for comment" in closed

    freeze_today(DURING_PHASE1)
    page = client.get(f"/datasets/{dataset.id}").get_data(as_text=True)
    assert 'name="plan" type="hidden" value="2018-phase1-draft"' in page
    response = client.post(
        "/feedback",
        data={
            "csrf_token": csrf_from(page),
            "plan": "2018-phase1-draft",
            "target": f"dataset:{dataset.id}",
            "comment": "Please add town codes.",
            "email": "resident@example.org",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/datasets/{dataset.id}")
    with app.app_context():
        stored = db.session.scalars(select(Feedback)).one()
        assert (stored.target_kind, stored.target_key) == ("dataset", dataset.id)
    # The contact details never appear on public pages.
    public_pages = (
        f"/datasets/{dataset.id}",
        "/plan?version=2018-phase1-draft",
        "/feedback",
        "/plan/print?version=2018-phase1-draft",
        f"/api/v1/datasets/{dataset.id}",
    )
    for url in public_pages:
        body = client.get(url).get_data(as_text=True)
        assert "resident@example.org" not in body, url
        assert "Please add town codes." not in body, url


def test_unknown_targets_are_refused(client, app, freeze_today):
    freeze_today(DURING_PHASE1)
    assert post_feedback(client, target="principle:P99", comment="x").status_code == 422
    assert post_feedback(client, target="dataset:nope", comment="x").status_code == 422
    assert feedback_count(app) == 0


def test_cdo_triages_feedback_with_audited_status_changes(
    client, app, make_user, login, freeze_today
):
    freeze_today(DURING_PHASE1)
    post_feedback(
        client, comment='=HYPERLINK("http://evil.example")', name="+Mallory", email="m@example.org"
    )
    cdo = make_user("cdo", email="cdo@ct.gov")
    login(cdo)
    with app.app_context():
        feedback_id = db.session.scalar(select(Feedback.id))

    page = client.get("/plan/feedback")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "m@example.org" in html
    changed = client.post(
        f"/plan/feedback/{feedback_id}/status",
        data={"csrf_token": csrf_from(html), "status": "answered"},
    )
    assert changed.status_code == 302
    assert "No feedback marked new." in client.get("/plan/feedback?status=new").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(Feedback, feedback_id).status == "answered"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "feedback.status")
        ).one()
        assert (event.actor_label, event.before, event.after) == (
            "cdo@ct.gov",
            {"status": "new"},
            {"status": "answered"},
        )

    exported = client.get("/plan/feedback.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0]["comment"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["name"] == "'+Mallory" and rows[0]["status"] == "answered"


def test_triage_is_for_the_cdo_only(client, make_user, login):
    assert client.get("/plan/feedback").status_code == 302  # to the sign-in page
    login(make_user("steward", agencies=("DPH",)))
    assert client.get("/plan/feedback").status_code == 403
    assert client.get("/plan/feedback.csv").status_code == 403


@pytest.fixture
def limited_client(app, tmp_path):
    """A client of an app built with rate limits on (the test settings turn them off)."""
    from catalog import create_app

    limited = create_app(
        {
            **{k: app.config[k] for k in ("ENV_NAME", "DATABASE_URL", "SECRET_KEY")},
            "INSTANCE_DIR": str(tmp_path),
            "RATELIMIT_ENABLED": True,
        }
    )
    limiter.reset()
    yield limited.test_client()
    limiter.enabled = False
    limiter.reset()
    limited.extensions["catalog_db"].dispose()


def test_feedback_posts_are_rate_limited(limited_client, app, freeze_today):
    freeze_today(DURING_PHASE1)
    statuses = [post_feedback(limited_client, comment=f"comment {n}").status_code for n in range(7)]
    assert statuses[:5] == [302] * 5
    assert statuses[5:] == [429, 429]
    assert feedback_count(app) == 5
