"""The CDO answers comments; with the commenter's consent the comment and the answer appear
under the plan element they concern (the name only if the commenter agreed to that too)."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, Feedback
from tests.plan.conftest import csrf_from

DURING_PHASE1 = date(2018, 8, 20)


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def comment(client, **fields) -> int:
    page = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "plan": "2018-phase1-draft", "target": "principle:P10"}
    response = client.post("/feedback", data={**data, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(Feedback.id).order_by(Feedback.id.desc())).first()


def reply(client, feedback_id: int, text: str, publish: bool):
    page = client.get("/plan/feedback").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "reply": text}
    if publish:
        data["publish"] = "y"
    return client.post(f"/plan/feedback/{feedback_id}/reply", data=data)


def test_a_published_answer_appears_under_the_principle_it_concerns(
    app, client, make_user, login, freeze_today
):
    freeze_today(DURING_PHASE1)
    public = app.test_client()
    with app.app_context():
        agreed = comment(
            public,
            comment="Please publish the sharing agreements.",
            name="Ada Resident",
            email="ada@example.org",
            organisation="Hartford Civic Data",
            publish_consent="y",
            publish_name="y",
        )
        anonymous = comment(
            public,
            comment="Addresses should follow the USPS standard.",
            name="Bo Neighbour",
            publish_consent="y",
        )
        private = comment(public, comment="Keep this between us.", name="Cy Private")
    login(make_user("cdo", email="cdo@ct.gov"))

    before = public.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    assert "Please publish the sharing agreements." not in before  # not before the CDO publishes

    assert (
        reply(client, agreed, "Agreements are listed under Sharing reviews.", True).status_code
        == 302
    )
    assert reply(client, anonymous, "We adopted it in the 2019 standards.", True).status_code == 302
    refused = reply(client, private, "Thank you.", True)
    assert refused.status_code == 302
    assert reply(client, private, "Thank you.", False).status_code == 302

    html = public.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    p10 = text_of(html.split('id="principle-P10"')[1].split('id="principle-P11"')[0])
    assert "Please publish the sharing agreements." in p10
    assert "Ada Resident" in p10  # she agreed to her name
    assert "Answer from the Chief Data Officer" in p10
    assert "Agreements are listed under Sharing reviews." in p10
    assert "Addresses should follow the USPS standard." in p10
    assert "Bo Neighbour" not in html and "A member of the public" in p10
    assert "Keep this between us." not in html and "Thank you." not in html
    assert "ada@example.org" not in html and "Hartford Civic Data" not in html
    assert "cdo@ct.gov" not in html
    # Other principles carry nothing.
    p11 = html.split('id="principle-P11"')[1].split('id="principle-P12"')[0]
    assert "Answer from" not in p11
    with app.app_context():
        stored = db.session.get(Feedback, private)
        assert (stored.status, stored.published, stored.reply) == ("answered", False, "Thank you.")
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "feedback.reply")
        ).all()
        assert len(events) == 3 and events[0].after["published"] is True


def test_only_the_cdo_answers(app, client, make_user, login, freeze_today):
    freeze_today(DURING_PHASE1)
    with app.app_context():
        feedback_id = comment(app.test_client(), comment="Hello", publish_consent="y")
    login(make_user("steward", agencies=("DPH",)))
    page = client.get("/plan?version=2018-phase1-draft").get_data(as_text=True)
    response = client.post(
        f"/plan/feedback/{feedback_id}/reply",
        data={"csrf_token": csrf_from(page), "reply": "Not mine to answer", "publish": "y"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Feedback, feedback_id).reply is None
