"""Review pages as people use them: the public "Why isn't this open?" section, the queue, a
review's page and forms, the CDO's timeline, the sharing matrix and agreements."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from catalog.db import db
from catalog.models import DataSharingAgreement, ReviewComment, SharingReview
from catalog.services import reviews as review_service
from tests.reviews.conftest import csrf_from, login


def _why_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="why-not-open-heading".*?</section>', html, re.S)
    assert match, "no 'Why isn't this open?' section"
    return match.group(0)


def test_public_page_of_non_public_dataset_shows_reason_and_authority_not_internal_notes(
    app, client, open_review, people, restricted_dataset
):
    review = open_review()
    with app.app_context():
        review_service.comment_on_review(
            db.session,
            review.id,
            "INTERNAL-COMMENT ask the AAG",
            db.session.merge(people["steward"]),
        )
        db.session.commit()
    page = client.get(f"/datasets/{restricted_dataset.id}").get_data(as_text=True)
    section = _why_section(page)
    assert "Why isn't this open?" in section
    assert "The records identify patients and their diagnoses." in section
    assert "45 CFR Parts 160 and 164" in section and "HIPAA" in section
    assert "Identified" in section
    assert "How to request access" in section and "data.officer@ct.gov" in section
    for secret in ("INTERNAL-REVIEW-NOTE", "INTERNAL-COMMENT", "INTERNAL-DATASET-NOTE", "counsel@"):
        assert secret not in page


def test_non_public_dataset_without_review_falls_back_to_its_rights_statement(
    client, restricted_dataset
):
    section = _why_section(client.get(f"/datasets/{restricted_dataset.id}").get_data(as_text=True))
    assert "Contains protected health information." in section
    assert "No review of obstacles to sharing has been opened yet." in section


def test_public_dataset_has_no_why_not_open_section(client, make_dataset):
    dataset = make_dataset()
    assert "why-not-open" not in client.get(f"/datasets/{dataset.id}").get_data(as_text=True)


def test_public_page_shows_the_decision_once_restricted(
    app, client, open_review, people, restricted_dataset
):
    review = open_review()
    with app.app_context():
        review_service.transition_review(
            db.session,
            review.id,
            "restricted",
            "Counsel memo 12.",
            db.session.merge(people["cdo"]),
            decision="HIPAA allows no disclosure for this purpose.",
        )
        db.session.commit()
    section = _why_section(client.get(f"/datasets/{restricted_dataset.id}").get_data(as_text=True))
    assert "Restricted" in section and "HIPAA allows no disclosure for this purpose." in section
    assert "Counsel memo 12." not in section


def test_queue_needs_sign_in_and_lists_reviews(client, open_review):
    review = open_review()
    assert client.get("/reviews").status_code == 302
    login(client, "steward@dph.ct.gov")
    page = client.get("/reviews?authority=HIPAA").get_data(as_text=True)
    assert "Hospital inpatient discharge records" in page and f"/reviews/{review.id}" in page
    assert "Hospital inpatient" not in client.get("/reviews?authority=FERPA").get_data(as_text=True)
    assert "Hospital inpatient" not in client.get("/reviews?mine=1").get_data(as_text=True)
    login(client, "counsel@opm.ct.gov")
    assert "Hospital inpatient" in client.get("/reviews?mine=1&obstacle=privacy").get_data(
        as_text=True
    )
    login(client, "steward@dot.ct.gov")  # not involved: sees the queue, not who reviews
    page = client.get("/reviews").get_data(as_text=True)
    assert "Hospital inpatient" in page and "counsel@opm.ct.gov" not in page


def test_steward_opens_a_review_with_the_form_and_comments(app, client, people, restricted_dataset):
    login(client, "steward@dph.ct.gov")
    url = f"/reviews/new?dataset={restricted_dataset.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "requesting_agency": "DSS",
            "purpose": "Program evaluation",
            "obstacle_kinds": ["privacy", "legal"],
            "authorities": ["HIPAA", "42CFR2"],
            "public_reason": "Patient records.",
            "internal_notes": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        review = db.session.scalars(select(SharingReview)).one()
        assert [a.code for a in review.authorities] == ["42CFR2", "HIPAA"]
        assert review.obstacle_kinds == ["legal", "privacy"]
        review_id = review.id
    page = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "Qualified service organization agreement" in page  # usual resolutions shown
    assert "Move this review" not in page  # a steward cannot move it
    response = client.post(
        f"/reviews/{review_id}/comments",
        data={"csrf_token": csrf_from(page), "body": "Legal is looking at it."},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ReviewComment.body)).all() == ["Legal is looking at it."]
    assert "Legal is looking at it." in client.get(f"/reviews/{review_id}").get_data(as_text=True)


def test_open_form_without_obstacles_shows_errors(client, people, restricted_dataset):
    login(client, "steward@dph.ct.gov")
    url = f"/reviews/new?dataset={restricted_dataset.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(
        url,
        data={"csrf_token": token, "requesting_agency": "", "purpose": "x", "public_reason": "y"},
    )
    assert response.status_code == 422
    assert "Choose at least one" in response.get_data(as_text=True)


def test_form_post_without_csrf_is_refused(client, people, open_review):
    review = open_review()
    login(client, "cdo@ct.gov")
    response = client.post(
        f"/reviews/{review.id}/transitions", data={"to": "in_review", "reason": "x"}
    )
    assert response.status_code == 400


def test_reviewer_moves_a_review_from_its_page(app, client, open_review):
    review = open_review()
    login(client, "counsel@opm.ct.gov")
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "Move this review" in page and "INTERNAL-REVIEW-NOTE" in page
    response = client.post(
        f"/reviews/{review.id}/transitions",
        data={"csrf_token": csrf_from(page), "to": "in_review", "reason": "Counsel starts."},
    )
    assert response.status_code == 302
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "Counsel starts." in page and "2026-05-31" in page  # due 90 days after 2026-03-02


def test_outsider_sees_the_review_page_without_internal_details(client, open_review):
    review = open_review()
    login(client, "steward@dot.ct.gov")
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "The records identify patients" in page
    assert "INTERNAL-REVIEW-NOTE" not in page and "Comments (internal)" not in page


def test_timeline_is_for_the_cdo_and_draws_with_chart_js(client, open_review, clock):
    clock(date(2026, 1, 1))
    open_review()  # due 2026-01-31: overdue on 2026-03-02
    clock(date(2026, 3, 2))
    open_review(requesting_agency_code="DOT")  # due 2026-04-01
    login(client, "steward@dph.ct.gov")
    assert client.get("/reviews/timeline").status_code == 403
    assert client.get("/reviews/timeline.json").status_code == 403
    login(client, "cdo@ct.gov")
    page = client.get("/reviews/timeline").get_data(as_text=True)
    assert "vendor/chart.umd.min.js" in page and "reviews/timeline.js" in page
    assert "<script>" not in page  # the CSP forbids inline scripts
    data = client.get("/reviews/timeline.json").json
    identified = next(d for d in data["due"]["datasets"] if d["state"] == "identified")
    assert data["due"]["labels"][0] == "Overdue" and identified["data"][0] == 1
    week = data["due"]["labels"].index("Week of 2026-03-30")
    assert identified["data"][week] == 1
    assert data["flow"]["datasets"][0]["data"][-1] == 1  # opened in March 2026
    with client.get("/static/vendor/chart.umd.min.js") as script:
        assert script.status_code == 200 and b"Chart.js v4" in script.data


def test_sharing_matrix_shows_dataset_by_requesting_agency(app, client, open_review, people):
    first = open_review()
    open_review(requesting_agency_code=None)
    login(client, "cdo@ct.gov")
    page = client.get("/reviews/matrix").get_data(as_text=True)
    header = re.search(r"<thead>.*?</thead>", page, re.S).group(0)
    assert ">DSS<" in header and ">PUBLIC<" in header
    assert f'href="/reviews/{first.id}">Identified<' in page


def test_cdo_records_an_agreement_and_the_list_flags_expiry(
    app, client, restricted_dataset, open_review, clock
):
    review = open_review()
    login(client, "cdo@ct.gov")
    token = csrf_from(client.get("/reviews/agreements/new").get_data(as_text=True))
    response = client.post(
        "/reviews/agreements/new",
        data={
            "csrf_token": token,
            "title": "DPH to DSS discharge extract",
            "purpose": "Medicaid evaluation only",
            "parties": ["DPH", "DSS"],
            "datasets": restricted_dataset.id,
            "effective_on": "2026-01-01",
            "expires_on": "2026-04-15",
            "clauses": ["purpose", "individuals", "no_onward_sharing"],
            "reviews": str(review.id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        agreement = db.session.scalars(select(DataSharingAgreement)).one()
        assert agreement.clauses["purpose"] and not agreement.clauses["breach_notification"]
    page = client.get("/reviews/agreements").get_data(as_text=True)
    assert "expires in 44 days" in page and "missing 3" in page
    clock(date(2026, 1, 10))
    assert "expires in" not in client.get("/reviews/agreements").get_data(as_text=True)


def test_agreement_needs_two_known_parties(client, people):
    login(client, "cdo@ct.gov")
    token = csrf_from(client.get("/reviews/agreements/new").get_data(as_text=True))
    response = client.post(
        "/reviews/agreements/new",
        data={"csrf_token": token, "title": "x", "purpose": "y", "parties": ["DPH"],
              "effective_on": "2026-01-01", "expires_on": "2025-01-01",
              "document_url": "javascript:alert(1)"},
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at least two parties" in page and "Give an http(s) address." in page


def test_authorities_page_is_public(client):
    page = client.get("/reviews/authorities").get_data(as_text=True)
    assert "20 U.S.C. § 1232g; 34 CFR Part 99" in page
    assert "Business associate agreement" in page
    assert "Procedures for notification of a breach" in page


def test_dataset_page_lists_its_reviews_for_staff_only(client, open_review, restricted_dataset):
    review = open_review()
    url = f"/datasets/{restricted_dataset.id}"
    assert "Sharing reviews (signed-in staff)" not in client.get(url).get_data(as_text=True)
    login(client, "steward@dph.ct.gov")
    page = client.get(url).get_data(as_text=True)
    assert f'href="/reviews/{review.id}"' in page
    assert f'href="/reviews/new?dataset={restricted_dataset.id}"' in page
    login(client, "steward@dot.ct.gov")
    page = client.get(url).get_data(as_text=True)
    assert f'href="/reviews/{review.id}"' in page and "/reviews/new?" not in page
