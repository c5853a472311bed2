"""Sign-off and overrides in the browser's pages (test client, CSRF on): the dataset page, the
queue, the edit form's notes, and who may press the buttons."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import Dataset, FieldOverride, PendingChange
from catalog.services.datasets import update_dataset
from catalog.services.harvest import add_source
from harvesters.runner import run_harvest
from tests.conftest import FIXTURES
from tests.web.test_steward_forms import csrf_from, sign_in

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
RIGHTS = "Small counts could identify patients 7731; ask the DPH data officer."


@pytest.fixture
def harvested(app, tmp_path):
    """The CDC records harvested into DPH; then the source makes the first public one
    non-public (held for sign-off) and retitles it. Returns the dataset id."""
    document = json.loads(CDC.read_text())
    path = tmp_path / "data.json"
    path.write_text(json.dumps(document))
    with app.app_context():
        source = add_source(db.session, "cdc", "dcat-us", str(path), "test", agency_code="DPH")
        db.session.commit()
        assert run_harvest(db.session, source, app.config).status == "succeeded"
        entry = next(e for e in document["dataset"] if e["accessLevel"] == "public")
        dataset_id = db.session.scalar(
            select(Dataset.id).where(Dataset.identifier == entry["identifier"])
        )
        update_dataset(db.session, dataset_id, {"title": "Steward's title"}, "pat@dph.ct.gov")
        db.session.commit()
        entry.update(accessLevel="non-public", rights=RIGHTS, title="Source's new title")
        path.write_text(json.dumps(document))
        assert run_harvest(db.session, source, app.config).status == "succeeded"
    return dataset_id


@pytest.fixture
def owner(make_user):
    return make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov")


def test_the_dataset_page_shows_proposals_overrides_and_provenance_to_its_stewards(
    client, harvested, owner
):
    assert sign_in(client, owner.email).status_code == 302
    page = html.unescape(client.get(f"/datasets/{harvested}").text)
    assert "Changes the source proposes" in page and RIGHTS in page
    assert "The source proposes 2 changes to accessLevel, rights" in page
    assert "This overrides the source (cdc), which says “Source's new title”" in page
    assert "Where this comes from" in page
    assert "unchanged by job" in page and "held for a steward's sign-off" in page
    form = client.get(f"/datasets/{harvested}/edit").text
    assert "This overrides the source (cdc)" in html.unescape(form)
    assert f'formaction="/datasets/{harvested}/overrides/title/follow' in form


def test_anonymous_visitors_and_other_agencies_see_the_source_but_not_the_proposals(
    client, harvested, make_user
):
    page = client.get(f"/datasets/{harvested}").text
    assert "Where this comes from" in page and "cdc" in page
    assert "7731" not in page and "Changes the source proposes" not in page
    other = make_user("steward", agencies=("DOT",))
    assert sign_in(client, other.email).status_code == 302
    assert "7731" not in client.get(f"/datasets/{harvested}").text
    assert "7731" not in client.get("/pending-changes").text


def test_a_steward_accepts_from_the_queue_and_only_stewards_of_the_agency_may(
    app, client, harvested, owner, make_user
):
    other = make_user("steward", agencies=("DOT",))
    assert sign_in(client, other.email).status_code == 302
    token = _token(client)
    refused = client.post(
        f"/datasets/{harvested}/pending-changes",
        data={"field": "rights", "decision": "accept", "csrf_token": token},
    )
    assert refused.status_code == 403

    client.post("/logout", data={"csrf_token": token})
    assert sign_in(client, owner.email).status_code == 302
    queue = html.unescape(client.get("/pending-changes").text)
    assert "2 pending changes" in queue and RIGHTS in queue
    for field in ("rights", "accessLevel"):
        done = client.post(
            f"/datasets/{harvested}/pending-changes",
            data={"field": field, "decision": "accept", "next": "/pending-changes",
                  "csrf_token": _token(client)},
        )  # fmt: skip
        assert done.status_code == 302 and done.headers["Location"].endswith("/pending-changes")
    with app.app_context():
        dataset = db.session.get(Dataset, harvested)
        assert (dataset.access_level, dataset.rights) == ("non-public", RIGHTS)
        assert db.session.scalars(select(PendingChange)).all() == []
    assert "Nothing is waiting for your decision." in client.get("/pending-changes").text


def test_follow_the_source_from_the_edit_form(app, client, harvested, owner):
    assert sign_in(client, owner.email).status_code == 302
    form = client.get(f"/datasets/{harvested}/edit").text
    response = client.post(
        f"/datasets/{harvested}/overrides/title/follow?next=/datasets/{harvested}/edit",
        data={"csrf_token": csrf_from(form), "title": "ignored: the form's other fields"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/datasets/{harvested}/edit")
    with app.app_context():
        assert db.session.get(Dataset, harvested).title == "Source's new title"
    assert "This overrides the source" not in html.unescape(
        client.get(f"/datasets/{harvested}/edit").text
    )


def _token(client) -> str:
    """A CSRF token from a signed-in page (the sign-out form carries one)."""
    return csrf_from(client.get("/pending-changes").text)


def test_saving_the_form_unchanged_overrides_nothing(app, client, harvested, owner):
    assert sign_in(client, owner.email).status_code == 302
    with app.app_context():
        dataset = db.session.get(Dataset, harvested)
        description = dataset.description
        assert "\n" in description  # CDC's paragraphs
    form = client.get(f"/datasets/{harvested}/edit").text
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form))
    fields.update(
        {
            name: html.unescape(value)
            for name, value in re.findall(
                r'<textarea[^>]*name="([a-z_]+)"[^>]*>\n?(.*?)</textarea>', form, re.S
            )
        }
    )
    fields.update(
        dict(
            re.findall(
                r'<select[^>]*name="([a-z_]+)".*?<option selected value="([^"]*)"', form, re.S
            )
        )
    )
    fields["description"] = fields["description"].replace("\n", "\r\n")  # as browsers send it
    saved = client.post(f"/datasets/{harvested}/edit", data=fields)
    assert saved.status_code == 302, saved.text[:2000]
    with app.app_context():
        rows = db.session.scalars(select(FieldOverride.field)).all()
        assert rows == ["title"]  # only the steward's earlier title; the form added nothing
        assert db.session.get(Dataset, harvested).description == description
