"""Fixtures for sharing reviews: a frozen clock, the people involved and a non-public dataset."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import SharingReview, User
from catalog.services import reviews as review_service

TODAY = date(2026, 3, 2)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Freeze the reviews clock at TODAY; call the fixture's value to move it."""
    current = {"day": TODAY}
    monkeypatch.setattr(review_service, "clock", lambda: current["day"])

    def _set(day: date) -> None:
        current["day"] = day

    return _set


@pytest.fixture
def people(make_user) -> dict[str, User]:
    return {
        "cdo": make_user("cdo", email="cdo@ct.gov"),
        "steward": make_user("steward", agencies=("DPH",), email="steward@dph.ct.gov"),
        "counsel": make_user("steward", agencies=("OPM",), email="counsel@opm.ct.gov"),
        "dss": make_user("steward", agencies=("DSS",), email="steward@dss.ct.gov"),
        "outsider": make_user("steward", agencies=("DOT",), email="steward@dot.ct.gov"),
    }


@pytest.fixture
def restricted_dataset(make_dataset):
    return make_dataset(
        title="Hospital inpatient discharge records",
        accessLevel="non-public",
        rights="Contains protected health information.",
        notes="INTERNAL-DATASET-NOTE do not publish",
    )


@pytest.fixture
def open_review(app, people, restricted_dataset, clock) -> Callable[..., SharingReview]:
    """``open_review(**overrides)`` opens a review of the restricted dataset as the CDO."""

    def _open(**overrides) -> SharingReview:
        values = {
            "purpose": "DSS wants discharge counts to evaluate a Medicaid program.",
            "public_reason": "The records identify patients and their diagnoses.",
            "obstacle_kinds": ["legal", "privacy"],
            "authority_codes": ["HIPAA"],
            "requesting_agency_code": "DSS",
            "internal_notes": "INTERNAL-REVIEW-NOTE counsel thinks a BAA will not fit",
            "reviewer_email": "counsel@opm.ct.gov",
        }
        dataset_id = overrides.pop("dataset_id", restricted_dataset.id)
        actor = overrides.pop("actor", people["cdo"])
        values.update(overrides)
        with app.app_context():
            review = review_service.open_review(
                db.session, dataset_id, db.session.merge(actor), **values
            )
            db.session.commit()
            return review

    return _open


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, user_or_email) -> None:
    """Sign the test client in (as Flask-Login's login_user would, strong session protection)."""
    from catalog.extensions import login_manager

    app = client.application
    with app.app_context():
        user = user_or_email
        if isinstance(user_or_email, str):
            user = db.session.scalar(select(User).where(User.email == user_or_email))
        user_id = user.get_id()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
        sess["_id"] = identifier
