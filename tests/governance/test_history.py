"""A dataset's history with each field before and after; the CDO's audit log with filters and a
formula-safe CSV; the public Atom feed of changes to public fields only."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from catalog.db import db
from catalog.services.datasets import update_dataset, withdraw_dataset

ATOM = "{http://www.w3.org/2005/Atom}"


def edited(app, make_user, make_dataset):
    steward = make_user("steward", agencies=("DPH",), email="ado@dph.ct.gov")
    dataset = make_dataset(
        title="Births by town",
        accessLevel="public",
        steward={"name": "Pat Internal"},
        actor=steward,
    )
    with app.app_context():
        update_dataset(
            db.session,
            dataset.id,
            {
                "title": "Births by town and year",
                "keyword": ["births", '=HYPERLINK("x")'],
                "notes": "Counsel said 4417 is fine",
            },
            db.session.merge(steward),
        )
        db.session.commit()
    return steward, dataset


def test_stewards_and_the_cdo_see_each_field_before_and_after(
    app, client, make_user, make_dataset, login
):
    steward, dataset = edited(app, make_user, make_dataset)
    login(steward)

    html = client.get(f"/datasets/{dataset.id}/history").get_data(as_text=True)

    change = html.split("changed by ado@dph.ct.gov")[1].split("</section>")[0]
    assert '<th scope="row">Title</th>' in change
    assert "Births by town</td>" in change and "Births by town and year</td>" in change
    assert "Internal notes" in change and "Counsel said 4417 is fine" in change
    assert "registered by ado@dph.ct.gov" in html
    page = client.get(f"/datasets/{dataset.id}").get_data(as_text=True)
    assert "<strong>Title</strong>: Births by town → Births by town and year" in page
    other = app.test_client()
    assert other.get(f"/datasets/{dataset.id}/history").status_code == 302  # sign in first
    login_other = make_user("steward", agencies=("DOT",))
    from tests.plan.conftest import csrf_from

    token = csrf_from(other.get("/login").get_data(as_text=True))
    other.post(
        "/login",
        data={"email": login_other.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert other.get(f"/datasets/{dataset.id}/history").status_code == 403


def test_cdo_filters_the_audit_log_and_exports_it_safely(
    app, client, make_user, make_dataset, login
):
    edited(app, make_user, make_dataset)
    make_dataset(title="Bridge inspections", agency="DOT")
    login(make_user("cdo"))

    page = client.get("/audit?action=dataset.update").get_data(as_text=True)
    assert "1 event," in page and "ado@dph.ct.gov" in page
    assert "<strong>Title</strong>: Births by town → Births by town and year" in page
    by_actor = client.get("/audit?actor=ado@dph").get_data(as_text=True)
    assert "2 events," in by_actor and "Bridge inspections" not in by_actor
    prefix = client.get("/audit?action=dataset.").get_data(as_text=True)
    assert "3 events," in prefix
    assert client.get("/audit?since=yesterday").status_code == 400
    assert "0 events," in client.get("/audit?until=2001-01-01").get_data(as_text=True)

    body = client.get("/audit.csv?action=dataset.update").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "id",
        "occurred_at",
        "actor",
        "action",
        "entity_type",
        "entity_id",
        "before",
        "after",
    ]
    assert len(rows) == 2 and rows[1][3] == "dataset.update"
    assert '"=HYPERLINK' in rows[1][7]  # inside the JSON, the cell does not start with "="
    # A cell that would start a formula is defused.
    evil = make_user("steward", agencies=("DPH",), email="=cmd@example.org")
    with app.app_context():
        from catalog.services.datasets import create_dataset
        from tests.conftest import dataset_payload

        create_dataset(db.session, dataset_payload(title="Formula test"), db.session.merge(evil))
        db.session.commit()
    rows = list(
        csv.reader(
            io.StringIO(client.get("/audit.csv?action=dataset.create").get_data(as_text=True))
        )
    )
    assert "'=cmd@example.org" in [row[2] for row in rows]


def test_the_public_feed_shows_public_fields_only(app, client, make_user, make_dataset):
    steward, _dataset = edited(app, make_user, make_dataset)
    secret = make_dataset(
        title="Case files",
        accessLevel="non-public",
        rights="Confidential.",
        distribution=[{"downloadURL": "https://internal.ct.gov/4417.csv", "mediaType": "text/csv"}],
    )
    with app.app_context():
        withdraw_dataset(db.session, secret.id, db.session.merge(steward))
        db.session.commit()

    response = client.get("/changes.atom")

    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 (our own feed, in a test)
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles[0] == "Case files: withdrawn"
    assert "Births by town and year: changed" in titles
    changed = entries[titles.index("Births by town and year: changed")].find(f"{ATOM}content").text
    assert "Title: Births by town → Births by town and year" in changed
    body = response.get_data(as_text=True)
    assert "4417" not in body  # internal notes and the non-public download address
    assert "Pat Internal" not in body and "ado@dph.ct.gov" not in body
    assert "Distributions: changed" in body  # said, without the address
