"""Agreements are edited and renewed (audited), and their datasets chosen by searching."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, DataSharingAgreement
from catalog.services import reviews
from tests.plan.conftest import csrf_from


def test_a_steward_finds_datasets_by_searching_then_edits_and_renews(
    app, client, make_user, make_dataset, login, monkeypatch
):
    monkeypatch.setattr(reviews, "clock", lambda: date(2026, 6, 1))
    births = make_dataset(title="Births by town", agency="DPH")
    make_dataset(title="Bridge inspections", agency="DOT")
    login(make_user("steward", agencies=("DPH",)))

    page = client.get("/reviews/agreements/new").get_data(as_text=True)
    assert "Dataset ids" not in page  # no internal ids to type
    found = client.post(
        "/reviews/agreements/new",
        data={
            "csrf_token": csrf_from(page),
            "action": "find",
            "dataset_q": "births",
            "title": "Vital records for DSS",
            "parties": ["DPH", "DSS"],
        },
    )
    assert found.status_code == 200
    html = found.get_data(as_text=True)
    assert f'value="{births.id}"' in html and "Births by town (DPH" in html
    assert "Bridge inspections" not in html  # DOT is not a party
    assert 'value="Vital records for DSS"' in html  # what was typed stays

    saved = client.post(
        "/reviews/agreements/new",
        data={
            "csrf_token": csrf_from(html),
            "action": "save",
            "title": "Vital records for DSS",
            "purpose": "Eligibility checks",
            "parties": ["DPH", "DSS"],
            "datasets": [births.id],
            "effective_on": "2026-01-01",
            "expires_on": "2026-07-01",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        agreement = db.session.scalars(select(DataSharingAgreement)).one()
        assert [d.title for d in agreement.datasets] == ["Births by town"]
        agreement_id = agreement.id

    listing = client.get("/reviews/agreements").get_data(as_text=True)
    assert f'href="/reviews/agreements/{agreement_id}/edit"' in listing
    edit = client.get(f"/reviews/agreements/{agreement_id}/edit").get_data(as_text=True)
    assert 'value="Vital records for DSS"' in edit
    assert re.search(
        rf'<input checked id="datasets-0" name="datasets" [^>]*value="{births.id}"', edit
    )
    changed = client.post(
        f"/reviews/agreements/{agreement_id}/edit",
        data={
            "csrf_token": csrf_from(edit),
            "action": "save",
            "title": "Vital records for DSS",
            "purpose": "Eligibility checks and audits",
            "parties": ["DPH", "DSS"],
            "datasets": [births.id],
            "effective_on": "2026-01-01",
            "expires_on": "2026-07-01",
        },
    )
    assert changed.status_code == 302
    too_early = client.post(
        f"/reviews/agreements/{agreement_id}/renew",
        data={"csrf_token": csrf_from(edit), "renew-expires_on": "2026-06-15"},
    )
    assert too_early.status_code == 302
    renewed = client.post(
        f"/reviews/agreements/{agreement_id}/renew",
        data={"csrf_token": csrf_from(edit), "renew-expires_on": "2028-06-30"},
    )
    assert renewed.status_code == 302
    with app.app_context():
        agreement = db.session.get(DataSharingAgreement, agreement_id)
        assert agreement.purpose == "Eligibility checks and audits"
        assert (agreement.expires_on, agreement.renewed_on) == (date(2028, 6, 30), date(2026, 6, 1))
        update = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agreement.update")
        ).one()
        assert update.before["purpose"] == "Eligibility checks"
        renewal = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agreement.renew")
        ).one()
        assert (
            renewal.before["expires_on"] == "2026-07-01"
            and renewal.after["expires_on"] == "2028-06-30"
        )

    outsider = app.test_client()
    other = make_user("steward", agencies=("DOT",))
    token = csrf_from(outsider.get("/login").get_data(as_text=True))
    outsider.post(
        "/login",
        data={"email": other.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert outsider.get(f"/reviews/agreements/{agreement_id}/edit").status_code == 403
