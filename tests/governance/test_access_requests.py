"""A steward of another agency asks for a non-public dataset; the request opens a sharing
review for the owning agency, naming the requester."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied
from catalog.models import AccessRequest, AuditEvent, SharingReview
from catalog.services.access_requests import request_access
from tests.plan.conftest import csrf_from


@pytest.fixture
def protected(make_dataset):
    return make_dataset(
        title="Medicaid claims by member",
        accessLevel="non-public",
        rights="Protected health information (HIPAA).",
        agency="DPH",
    )


def test_a_request_opens_a_review_for_the_owning_agency(app, client, make_user, login, protected):
    requester = make_user("steward", agencies=("DSS",), email="analyst@dss.ct.gov")
    login(requester)
    page = client.get(f"/datasets/{protected.id}").get_data(as_text=True)
    assert "Request access for your agency" in page

    form = client.get(f"/datasets/{protected.id}/request-access").get_data(as_text=True)
    response = client.post(
        f"/datasets/{protected.id}/request-access",
        data={
            "csrf_token": csrf_from(form),
            "agency": "DSS",
            "purpose": "Check eligibility for the SNAP health supplement",
            "fields": "member_id, diagnosis_code",
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
        },
    )

    assert response.status_code == 302 and "/reviews/" in response.location
    with app.app_context():
        review = db.session.scalars(select(SharingReview)).one()
        assert review.dataset_id == protected.id and review.state == "identified"
        assert review.requesting_agency.code == "DSS"
        assert review.opened_by == "analyst@dss.ct.gov"
        assert "Access requested by analyst@dss.ct.gov" in review.purpose
        assert (
            "member_id, diagnosis_code" in review.purpose
            and "2024-01-01 to 2024-12-31" in review.purpose
        )
        assert review.due_on is not None  # on the plan's timeline
        request = db.session.scalars(select(AccessRequest)).one()
        assert request.review_id == review.id and request.fields == ["member_id", "diagnosis_code"]
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.request")
        ).one()
        assert event.after["requesting_agency"] == "DSS"
    # The owning agency's stewards find it in their queue.
    owner_client = app.test_client()
    owner = make_user("steward", agencies=("DPH",))
    token = csrf_from(owner_client.get("/login").get_data(as_text=True))
    owner_client.post(
        "/login",
        data={"email": owner.email, "password": "correct horse battery", "csrf_token": token},
    )
    queue = owner_client.get("/reviews").get_data(as_text=True)
    assert "Medicaid claims by member" in queue


def test_who_may_ask(app, session, make_user, make_dataset, protected):
    owner = session.merge(make_user("steward", agencies=("DPH",)))
    cdo = session.merge(make_user("cdo"))
    other = session.merge(make_user("steward", agencies=("DSS",)))
    public = make_dataset(title="Births by town", agency="DPH")
    for user in (owner, cdo):  # the holders open reviews themselves; the CDO has no agency
        with pytest.raises(PermissionDenied):
            request_access(session, user, protected.id, agency_code=None, purpose="x")
    with pytest.raises(PermissionDenied):  # public data needs no request
        request_access(session, other, public.id, agency_code=None, purpose="x")
    with pytest.raises(InvalidInput) as missing:
        request_access(session, other, protected.id, agency_code=None, purpose=" ")
    assert "purpose" in missing.value.errors
    with pytest.raises(InvalidInput):
        request_access(session, other, protected.id, agency_code="DOT", purpose="x")
    session.rollback()


def test_the_form_shows_errors_next_to_the_fields(app, client, make_user, login, protected):
    login(make_user("steward", agencies=("DSS",)))
    form = client.get(f"/datasets/{protected.id}/request-access").get_data(as_text=True)
    response = client.post(
        f"/datasets/{protected.id}/request-access",
        data={
            "csrf_token": csrf_from(form),
            "agency": "DSS",
            "purpose": "",
            "period_start": "2024-12-31",
            "period_end": "2024-01-01",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say what the data is needed for." in html and "cannot end before it starts" in html
    with app.app_context():
        assert db.session.scalar(select(SharingReview.id)) is None
