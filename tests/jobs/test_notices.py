"""Notices: a failed harvest, an overdue review and an expiring agreement reach the agency's
stewards and the CDO, in the catalog and by e-mail through a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from datetime import date, timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import Notice
from catalog.services import reviews as review_service
from catalog.services.agreements import create_agreement
from catalog.services.mail import SmtpSettings, send_pending
from catalog.services.notices import (
    list_notices,
    mark_read,
    notify_expiring_agreements,
    notify_overdue_reviews,
)
from jobs.tasks import run_periodic
from tests.web.test_steward_forms import csrf_from, sign_in

TODAY = date(2026, 3, 2)


class Inbox:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    controller_module = pytest.importorskip("aiosmtpd.controller")
    inbox = Inbox()
    controller = controller_module.Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def people(make_user):
    return {
        "dph": make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov"),
        "dot": make_user("steward", agencies=("DOT",), email="lee@dot.ct.gov"),
        "dss": make_user("steward", agencies=("DSS",), email="sam@dss.ct.gov"),
        "cdo": make_user("cdo", email="cdo@ct.gov"),
    }


def _recipients(session, kind: str) -> set[str]:
    from catalog.models import User

    return set(
        session.scalars(
            select(User.email).join(Notice, Notice.user_id == User.id).where(Notice.kind == kind)
        )
    )


def test_a_failed_harvest_notifies_the_source_agencys_stewards_and_the_cdo_once(
    app, session, people, tmp_path, smtp, monkeypatch
):
    from catalog.services.harvest import add_source
    from harvesters.runner import run_harvest

    broken = tmp_path / "data.json"
    broken.write_text('{"dataset": [{"identifier": "a", "title": "A"}, ')  # truncated
    source = add_source(session, "dph-portal", "dcat-us", str(broken), "test", agency_code="DPH")
    session.commit()
    job = run_harvest(session, source, app.config)
    assert job.status == "failed"
    assert _recipients(session, "harvest_failed") == {"pat@dph.ct.gov", "cdo@ct.gov"}

    monkeypatch.setitem(app.config, "SMTP_URL", smtp.url)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://data.ct.example")
    assert run_periodic(app, "mail") == "2 notices e-mailed"
    assert sorted(rcpt[0] for rcpt, _m in smtp.messages) == ["cdo@ct.gov", "pat@dph.ct.gov"]
    message = smtp.messages[0][1]
    assert message["Subject"] == "[CT data catalog] Harvest of dph-portal failed"
    body = message.get_payload(decode=True).decode()
    assert "Invalid or truncated source" in body
    assert f"https://data.ct.example/harvest/jobs/{job.id}" in body
    # The mail job runs every minute: nothing is sent twice.
    assert run_periodic(app, "mail") == "0 notices e-mailed"
    assert len(smtp.messages) == 2


def test_overdue_reviews_are_reminded_weekly_and_expiring_agreements_once(
    app, session, people, make_dataset, monkeypatch
):
    monkeypatch.setattr(review_service, "clock", lambda: TODAY)
    dataset = make_dataset(accessLevel="non-public", rights="Protected health information.")
    review = review_service.open_review(
        session, dataset.id, session.merge(people["cdo"]), purpose="Eligibility checks",
        public_reason="Patients are named.", obstacle_kinds=["privacy"],
        requesting_agency_code="DSS", today=TODAY - timedelta(days=90),
    )  # fmt: skip
    create_agreement(
        session, session.merge(people["cdo"]), title="DPH-DSS eligibility data",
        purpose="Eligibility", party_codes=["DPH", "DSS"], effective_on=date(2024, 1, 1),
        expires_on=TODAY + timedelta(days=20),
    )  # fmt: skip
    session.commit()
    assert review.is_overdue(TODAY)

    assert notify_overdue_reviews(session, TODAY) == 2  # DPH steward and the CDO
    assert notify_overdue_reviews(session, TODAY + timedelta(days=1)) == 0  # same week
    assert notify_overdue_reviews(session, TODAY + timedelta(days=7)) == 2  # a week later
    assert notify_expiring_agreements(session, TODAY) == 3  # both parties' stewards, the CDO
    assert notify_expiring_agreements(session, TODAY + timedelta(days=3)) == 0
    session.commit()
    assert _recipients(session, "review_overdue") == {"pat@dph.ct.gov", "cdo@ct.gov"}
    assert _recipients(session, "agreement_expiring") == {
        "pat@dph.ct.gov",
        "sam@dss.ct.gov",
        "cdo@ct.gov",
    }
    # The DOT steward has nothing to do with either.
    dot = session.merge(people["dot"])
    assert list_notices(session, dot) == []


def test_the_scheduled_notices_job_writes_them(app, session, people, make_dataset, monkeypatch):
    monkeypatch.setattr(review_service, "clock", lambda: TODAY)
    dataset = make_dataset(accessLevel="non-public", rights="Protected health information.")
    review_service.open_review(
        session, dataset.id, session.merge(people["cdo"]), purpose="Research",
        public_reason="Patients are named.", obstacle_kinds=["privacy"],
        today=TODAY - timedelta(days=90),
    )  # fmt: skip
    session.commit()
    assert run_periodic(app, "notices") == "2 overdue-review and 0 expiring-agreement notices"


def test_a_mail_server_that_is_down_leaves_notices_to_be_sent_later(session, people, smtp):
    from catalog.services.notices import notify, responsible_users

    notify(session, responsible_users(session, ["DOT"]), kind="harvest_failed", key="k",
           subject="Harvest of x failed", body="Because.")  # fmt: skip
    session.commit()
    dead = SmtpSettings.from_url(f"smtp://127.0.0.1:{_free_port()}", "catalog@ct.gov")
    with pytest.raises(OSError):
        send_pending(session, dead, "https://data.ct.example")
    assert session.scalar(select(func.count()).where(Notice.emailed_at.is_(None))) == 2
    live = SmtpSettings.from_url(smtp.url, "catalog@ct.gov")
    assert send_pending(session, live, "https://data.ct.example") == 2
    assert {rcpt[0] for rcpt, _m in smtp.messages} == {"lee@dot.ct.gov", "cdo@ct.gov"}


def test_smtp_urls():
    plain = SmtpSettings.from_url("smtp://mail.ct.gov", "a@ct.gov")
    assert (plain.host, plain.port, plain.username) == ("mail.ct.gov", 25, None)
    tls = SmtpSettings.from_url("smtp+starttls://catalog:p%40ss@mail.ct.gov", "a@ct.gov")
    assert (tls.port, tls.username, tls.password) == (587, "catalog", "p@ss")
    assert SmtpSettings.from_url("smtps://mail.ct.gov:2465", "a@ct.gov").port == 2465
    from catalog.errors import ServiceError

    with pytest.raises(ServiceError, match="CATALOG_SMTP_URL"):
        SmtpSettings.from_url("http://mail.ct.gov", "a@ct.gov")


def test_notices_page_lists_ones_own_and_marks_them_read(app, client, people):
    """(No app context held by the test: each request gets its own, as in production.)"""
    from catalog.errors import NotFound
    from catalog.services.notices import notify, responsible_users

    with app.app_context():
        notify(db.session, responsible_users(db.session, ["DPH"]), kind="harvest_failed",
               key="harvest_failed:1", subject="Harvest of dph-portal failed",
               body="<script>alert(1)</script> the source answered 500.",
               link="/harvest/jobs/1")  # fmt: skip
        db.session.commit()
    sign_in(client, "pat@dph.ct.gov")
    page = client.get("/notices").text
    assert "Harvest of dph-portal failed" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'Notices <span class="badge">1' in client.get("/").text
    client.post("/notices/read", data={"csrf_token": csrf_from(page)})
    assert 'class="badge">1' not in client.get("/").text
    # Another steward sees none of it, and cannot mark it read.
    other = app.test_client()
    sign_in(other, "lee@dot.ct.gov")
    assert "dph-portal" not in other.get("/notices").text
    with app.app_context():
        notice = list_notices(db.session, db.session.merge(people["dph"]))[0]
        with pytest.raises(NotFound):
            mark_read(db.session, db.session.merge(people["dot"]), notice.id)
