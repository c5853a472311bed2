"""Open data access plans: promises turn ``published`` when the portal harvest_named brings the
dataset, and ``late`` once their date has passed without it."""

from __future__ import annotations

from datetime import date

from tests.plan_fixtures import cdc

BIRTHS = ("urn:ct:dph:births-2024", "Births by town, 2024", "public")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def statuses(client, code: str = "DPH") -> dict[str, str]:
    body = client.get(f"/api/v1/agencies/{code}/access-plan").json
    return {item["identifier"]: item["status"] for item in body["items"]}


def test_entries_turn_published_with_the_portal_harvest_and_late_past_their_date(
    app, client, dph_sources, harvest_named, portal_file, make_user, token_for, freeze_today
):
    promised = (cdc(4)["identifier"], cdc(4)["title"], "public")
    made = dph_sources([promised, BIRTHS], [5])
    harvest_named(made["inventory"])
    harvest_named(made["portal"])  # the portal has another dataset, not the promised ones
    owner = token_for(make_user("steward", agencies=("DPH",)))
    freeze_today(date(2026, 3, 1))

    first = client.post(
        "/api/v1/agencies/DPH/access-plan",
        json={"identifier": promised[0], "target_date": "2027-06-30"},
        headers=auth(owner),
    )
    assert first.status_code == 201, first.json
    assert first.json == {
        "id": first.json["id"],
        "identifier": promised[0],
        "title": promised[1],
        "target_date": "2027-06-30",
        "status": "due",
    }
    second = client.post(
        "/api/v1/agencies/DPH/access-plan",
        json={"identifier": BIRTHS[0], "target_date": "2026-06-30"},
        headers=auth(owner),
    )
    assert second.status_code == 201
    assert statuses(client) == {promised[0]: "due", BIRTHS[0]: "due"}

    portal_file([4, 5])  # the portal now publishes the promised dataset
    counts = harvest_named(made["portal"])
    assert counts["added"] == 0  # the same dataset, now reached through the portal too
    assert statuses(client) == {promised[0]: "published", BIRTHS[0]: "due"}

    freeze_today(date(2026, 7, 1))
    assert statuses(client) == {promised[0]: "published", BIRTHS[0]: "late"}
    body = client.get("/api/v1/agencies/DPH/access-plan").json
    assert body["counts"] == {"published": 1, "due": 0, "late": 1}
    page = client.get("/agencies/DPH/access-plan").get_data(as_text=True)
    assert 'class="status-late">late' in page and 'class="status-published">published' in page


def test_only_the_agencys_stewards_and_the_cdo_add_and_only_inventoried_datasets(
    app, client, dph_sources, harvest_named, make_user, token_for
):
    made = dph_sources([BIRTHS], [5])
    harvest_named(made["inventory"])
    harvest_named(made["portal"])
    body = {"identifier": BIRTHS[0], "target_date": "2027-01-31"}
    other = token_for(make_user("steward", agencies=("DOT",)))
    cdo = token_for(make_user("cdo"))
    url = "/api/v1/agencies/DPH/access-plan"

    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth(other)).status_code == 403
    assert client.post(url, json=body, headers=auth(cdo)).status_code == 201
    assert client.post(url, json=body, headers=auth(cdo)).status_code == 409
    only_on_portal = {"identifier": cdc(5)["identifier"], "target_date": "2027-01-31"}
    refused = client.post(url, json=only_on_portal, headers=auth(cdo))
    assert refused.status_code == 422 and "inventoried" in refused.json["errors"]["identifier"][0]
    unknown = client.post(url, json={**body, "identifier": "nope"}, headers=auth(cdo))
    assert unknown.status_code == 422
    undated = client.post(url, json={"identifier": BIRTHS[0]}, headers=auth(cdo))
    assert undated.status_code == 422 and "target_date" in undated.json["errors"]
    elsewhere = client.post("/api/v1/agencies/XYZ/access-plan", json=body, headers=auth(cdo))
    assert elsewhere.status_code == 404
    assert client.get("/api/v1/agencies/XYZ/access-plan").status_code == 404


def test_stewards_add_an_entry_by_searching_on_the_page(
    app, client, dph_sources, harvest_named, make_user, login
):
    made = dph_sources([BIRTHS], [5])
    harvest_named(made["inventory"])
    login(make_user("steward", agencies=("DPH",)))

    found = client.get("/agencies/DPH/access-plan?q=births").get_data(as_text=True)
    assert f'value="{BIRTHS[0]}"' in found and "Births by town, 2024" in found
    from tests.plan.conftest import csrf_from

    added = client.post(
        "/agencies/DPH/access-plan",
        data={
            "csrf_token": csrf_from(found),
            "dataset": BIRTHS[0],
            "target_date": "2027-03-31",
            "q": "births",
        },
    )
    assert added.status_code == 302
    assert statuses(client) == {BIRTHS[0]: "due"}
    anonymous = app.test_client().get("/agencies/DPH/access-plan?q=births").get_data(as_text=True)
    assert "Add to the access plan" not in anonymous and "Births by town, 2024" in anonymous
