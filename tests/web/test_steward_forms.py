"""Sign-in and the steward's register/edit forms through the test client (CSRF on)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, Dataset

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the form"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def steward(make_user):
    return make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov")


def test_sign_in_and_out(client, steward):
    assert sign_in(client, "pat@dph.ct.gov", "wrong password here").status_code == 401
    response = sign_in(client, "PAT@dph.ct.gov")
    assert response.status_code == 302
    page = client.get("/").text
    assert "Sign out (pat@dph.ct.gov)" in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert "Sign in" in client.get("/").text


def test_login_without_csrf_token_is_refused(client, steward):
    response = client.post("/login", data={"email": "pat@dph.ct.gov", "password": PASSWORD})
    assert response.status_code == 400
    assert "Sign out" not in client.get("/").text


def test_login_never_redirects_off_site(client, steward):
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "pat@dph.ct.gov", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_register_form_validates_with_the_dataset_schema(client, steward, app):
    sign_in(client, "pat@dph.ct.gov")
    form = client.get("/datasets/new").text
    bad = client.post(
        "/datasets/new",
        data={"csrf_token": csrf_from(form), "agency": "DPH", "title": "", "description": "x",
              "access_level": "non-public", "contact_name": "Pat", "contact_email": "nope"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Must not be blank." in bad.text  # title
    assert "Not a valid email address." in bad.text
    assert "Required when accessLevel is not public" in bad.text
    good = client.post(
        "/datasets/new",
        data={"csrf_token": csrf_from(form), "agency": "DPH", "title": "Immunization rates",
              "description": "Kindergarten immunization rates by school.",
              "keyword": "health, schools",
              "access_level": "public", "contact_name": "Pat", "contact_email": "pat@dph.ct.gov"},
    )  # fmt: skip
    assert good.status_code == 302
    with app.app_context():
        dataset = db.session.scalars(select(Dataset)).one()
        assert dataset.keyword == ["health", "schools"] and dataset.agency.code == "DPH"
    page = client.get(good.headers["Location"]).text
    assert "Immunization rates" in page and "Change history" in page


def test_register_form_only_offers_own_agencies(client, steward):
    sign_in(client, "pat@dph.ct.gov")
    form = client.get("/datasets/new").text
    assert 'value="DPH"' in form and 'value="DOT"' not in form
    forged = client.post(
        "/datasets/new",
        data={"csrf_token": csrf_from(form), "agency": "DOT", "title": "X", "description": "Y",
              "access_level": "public", "contact_name": "Pat"},
    )  # fmt: skip
    assert forged.status_code == 422  # not one of the steward's agencies: nothing saved
    assert client.get("/api/v1/datasets").json["total"] == 0


def test_edit_form_saves_and_detects_stale_version(client, steward, make_dataset, app):
    dataset = make_dataset(agency="DPH", title="Old title")
    sign_in(client, "pat@dph.ct.gov")
    form = client.get(f"/datasets/{dataset.id}/edit").text
    assert 'value="Old title"' in form
    fields = {
        "csrf_token": csrf_from(form), "agency": "DPH", "title": "New title",
        "description": "Counts.", "access_level": "public", "contact_name": "Data Officer",
        "version": "1",
    }  # fmt: skip
    assert client.post(f"/datasets/{dataset.id}/edit", data=fields).status_code == 302
    stale = client.post(f"/datasets/{dataset.id}/edit", data={**fields, "title": "Lost"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    with app.app_context():
        assert db.session.get(Dataset, dataset.id).title == "New title"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dataset.update")
        ).one()
        assert event.actor_label == "pat@dph.ct.gov" and event.after["title"] == "New title"


def test_steward_cannot_edit_another_agencys_dataset(client, steward, make_dataset):
    dataset = make_dataset(agency="DOT")
    sign_in(client, "pat@dph.ct.gov")
    assert client.get(f"/datasets/{dataset.id}/edit").status_code == 403
    assert "Edit this dataset" not in client.get(f"/datasets/{dataset.id}").text


def test_anonymous_visitors_are_sent_to_sign_in(client, make_dataset):
    dataset = make_dataset()
    response = client.get(f"/datasets/{dataset.id}/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_user_text_is_escaped(client, make_dataset):
    dataset = make_dataset(title="<script>alert('x')</script> Roads")
    page = client.get(f"/datasets/{dataset.id}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_anonymous_dataset_page_hides_internal_notes(client, make_dataset):
    dataset = make_dataset(
        accessLevel="non-public", rights="Protected health information.",
        notes="Awaiting counsel sign-off", steward={"name": "Pat"},
    )  # fmt: skip
    page = client.get(f"/datasets/{dataset.id}").text
    assert "Protected health information." in page
    assert "Awaiting counsel" not in page and "Change history" not in page
