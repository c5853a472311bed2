"""/api/v1/reviews and /api/v1/agreements as a client sees them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, SharingReview
from catalog.services import reviews as review_service
from tests.reviews.conftest import auth


def test_invalid_transition_is_refused_with_409_naming_the_allowed_ones(
    client, open_review, people, token_for
):
    review = open_review()
    response = client.post(
        f"/api/v1/reviews/{review.id}/transitions",
        json={"to": "resolved_agreement", "reason": "Agreement signed."},
        headers=auth(token_for(people["counsel"])),
    )
    assert response.status_code == 409
    errors = response.json["errors"]
    assert errors["allowed"] == ["in_review", "restricted"]
    assert "in_review, restricted" in errors["to"][0]
    assert client.get(f"/api/v1/reviews/{review.id}").json["state"] == "identified"


def test_steward_cannot_resolve_a_review(client, open_review, people, token_for):
    review = open_review()
    counsel = auth(token_for(people["counsel"]))
    body = {"to": "in_review", "reason": "Counsel starts."}
    assert (
        client.post(
            f"/api/v1/reviews/{review.id}/transitions", json=body, headers=counsel
        ).status_code
        == 201
    )

    steward = auth(token_for(people["steward"]))
    response = client.post(
        f"/api/v1/reviews/{review.id}/transitions",
        json={"to": "resolved_deidentified", "reason": "We removed names."},
        headers=steward,
    )
    assert response.status_code == 403
    assert "comment" in response.json["errors"]["to"][0]
    assert client.get(f"/api/v1/reviews/{review.id}").json["state"] == "in_review"


def test_reviewer_resolves_with_a_reason_and_the_move_is_audited(
    app, client, open_review, people, token_for
):
    review = open_review()
    counsel = auth(token_for(people["counsel"]))
    url = f"/api/v1/reviews/{review.id}/transitions"
    assert (
        client.post(url, json={"to": "in_review", "reason": "Start."}, headers=counsel).status_code
        == 201
    )
    missing = client.post(url, json={"to": "resolved_deidentified"}, headers=counsel)
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    done = client.post(
        url,
        json={
            "to": "resolved_deidentified",
            "reason": "Expert determination received.",
            "decision": "Shared as a de-identified extract.",
        },
        headers=counsel,
    )
    assert done.status_code == 201
    assert done.json["state"] == "resolved_deidentified"
    assert done.json["decision"] == "Shared as a de-identified extract."
    assert done.json["decided_on"] == "2026-03-02"
    assert [h["to"] for h in done.json["history"]] == [
        "identified", "in_review", "resolved_deidentified",
    ]  # fmt: skip
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == str(review.id))
        ).all()
    assert actions.count("review.transition") == 2


def test_no_token_is_401_and_unknown_state_422(client, open_review, people, token_for):
    review = open_review()
    url = f"/api/v1/reviews/{review.id}/transitions"
    assert client.post(url, json={"to": "in_review", "reason": "x"}).status_code == 401
    response = client.post(
        url, json={"to": "approved", "reason": "x"}, headers=auth(token_for(people["cdo"]))
    )
    assert response.status_code == 422 and "to" in response.json["errors"]
    assert client.get("/api/v1/reviews/999999").status_code == 404


def test_anonymous_api_users_get_no_internal_notes_or_comments(
    app, client, open_review, people, token_for
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

    public = client.get(f"/api/v1/reviews/{review.id}")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "INTERNAL-REVIEW-NOTE" not in text and "INTERNAL-COMMENT" not in text
    assert "counsel@opm.ct.gov" not in text
    assert {"internal_notes", "comments", "reviewer"}.isdisjoint(public.json)
    assert all("reason" not in step for step in public.json["history"])
    assert public.json["public_reason"] == "The records identify patients and their diagnoses."
    assert public.json["authorities"][0]["citation"] == "45 CFR Parts 160 and 164"
    listing = client.get("/api/v1/reviews").get_data(as_text=True)
    assert "INTERNAL-REVIEW-NOTE" not in listing

    internal = client.get(
        f"/api/v1/reviews/{review.id}", headers=auth(token_for(people["steward"]))
    ).json
    assert internal["internal_notes"].startswith("INTERNAL-REVIEW-NOTE")
    assert internal["comments"][0]["body"] == "INTERNAL-COMMENT ask the AAG"
    assert internal["reviewer"] == "counsel@opm.ct.gov"
    # A steward of an unrelated agency sees only the public side.
    other = client.get(
        f"/api/v1/reviews/{review.id}", headers=auth(token_for(people["outsider"]))
    ).json
    assert "internal_notes" not in other


def test_list_filters_and_overdue(client, open_review, clock, people, token_for):
    clock(date(2026, 1, 1))
    late = open_review()
    clock(date(2026, 2, 25))
    fresh = open_review(requesting_agency_code="DOT", authority_codes=["CJIS"])
    body = client.get("/api/v1/reviews?overdue=1").json
    assert [item["id"] for item in body["items"]] == [late.id]
    assert body["items"][0]["overdue"] is True and body["items"][0]["days_overdue"] == 25
    assert [i["id"] for i in client.get("/api/v1/reviews?authority=cjis").json["items"]] == [
        fresh.id
    ]
    assert client.get("/api/v1/reviews?requesting_agency=DSS").json["total"] == 1
    assert client.get("/api/v1/reviews?agency=DPH").json["total"] == 2
    assert client.get("/api/v1/reviews?state=restricted").json["total"] == 0
    bad = client.get("/api/v1/reviews?state=done")
    assert bad.status_code == 400 and "state" in bad.json["errors"]


def test_agreements_api_flags_those_expiring_within_60_days(
    app, client, people, restricted_dataset, open_review
):
    from catalog.services.agreements import create_agreement

    review = open_review()
    with app.app_context():
        cdo = db.session.merge(people["cdo"])
        soon = create_agreement(
            db.session, cdo, title="DPH-DSS discharge data", purpose="Medicaid evaluation",
            party_codes=["DPH", "DSS"], effective_on=date(2025, 5, 1),
            expires_on=date(2026, 4, 30), dataset_ids=[restricted_dataset.id],
            clauses=["purpose", "individuals"], review_ids=[review.id],
            internal_notes="INTERNAL-AGREEMENT-NOTE",
        )  # fmt: skip
        later = create_agreement(
            db.session, cdo, title="DPH-OPM linkage", purpose="Outcomes research",
            party_codes=["DPH", "OPM"], effective_on=date(2025, 1, 1),
            expires_on=date(2026, 12, 31),
        )  # fmt: skip
        db.session.commit()
        soon_id, later_id = soon.id, later.id
    body = client.get("/api/v1/agreements").json
    by_id = {a["id"]: a for a in body["items"]}
    assert by_id[soon_id]["expiring_soon"] is True and by_id[soon_id]["days_to_expiry"] == 59
    assert by_id[later_id]["expiring_soon"] is False
    assert by_id[soon_id]["missing_clauses"] == [
        "no_onward_sharing", "no_copying", "secure_storage", "breach_notification",
    ]  # fmt: skip
    assert by_id[soon_id]["reviews"] == [review.id]
    assert "INTERNAL-AGREEMENT-NOTE" not in client.get("/api/v1/agreements").get_data(as_text=True)
    assert [a["id"] for a in client.get("/api/v1/agreements?expiring=1").json["items"]] == [soon_id]


def test_resolving_by_agreement_links_it(app, client, people, open_review, token_for):
    from catalog.services.agreements import create_agreement

    review = open_review()
    with app.app_context():
        agreement = create_agreement(
            db.session, db.session.merge(people["cdo"]), title="BAA", purpose="Evaluation",
            party_codes=["DPH", "DSS"], effective_on=date(2026, 1, 1),
        )  # fmt: skip
        db.session.commit()
        agreement_id = agreement.id
    cdo = auth(token_for(people["cdo"]))
    url = f"/api/v1/reviews/{review.id}/transitions"
    client.post(url, json={"to": "in_review", "reason": "Start."}, headers=cdo)
    done = client.post(
        url,
        json={"to": "resolved_agreement", "reason": "BAA signed.", "agreement_id": agreement_id},
        headers=cdo,
    )
    assert done.status_code == 201 and done.json["agreements"] == [agreement_id]
    with app.app_context():
        assert db.session.get(SharingReview, review.id).agreements[0].title == "BAA"


def test_openapi_documents_the_review_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/reviews" in paths and "/api/v1/agreements" in paths
    assert "post" in paths["/api/v1/reviews/{review_id}/transitions"]
