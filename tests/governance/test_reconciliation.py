"""Reconciliation of an agency's inventory with a portal, on two real harvest sources."""

from __future__ import annotations

from sqlalchemy import select

from catalog.db import db
from catalog.models import HarvestSource
from tests.plan_fixtures import cdc

BIRTHS = ("urn:ct:dph:births-2024", "Births by town, 2024", "public")
HIV = ("urn:ct:dph:hiv-surveillance", "HIV case surveillance", "non-public")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def two_sources(dph_sources, harvest_named):
    made = dph_sources(
        [
            (cdc(0)["identifier"], cdc(0)["title"], "public"),
            (cdc(1)["identifier"], cdc(1)["title"], "non-public"),  # the portal shows it
            BIRTHS,
            HIV,
        ],
        [0, 1, 2, 3],
    )
    assert made["inventory"]["role"] == "inventory" and made["portal"]["role"] == "portal"
    harvest_named(made["inventory"])
    harvest_named(made["portal"])
    return made


def identifiers(items: list[dict]) -> list[str]:
    return sorted(item["identifier"] for item in items)


def test_the_three_lists_compare_the_inventory_with_the_portal(
    app, dph_sources, harvest_named, client, make_user, token_for
):
    two_sources(dph_sources, harvest_named)
    cdo = token_for(make_user("cdo"))

    body = client.get("/api/v1/reconciliation", headers=auth(cdo)).json

    assert identifiers(body["inventoried_not_published"]) == [BIRTHS[0]]
    assert identifiers(body["published_not_inventoried"]) == sorted(
        [cdc(2)["identifier"], cdc(3)["identifier"]]
    )
    assert identifiers(body["access_mismatch"]) == [cdc(1)["identifier"]]
    (item,) = body["inventoried_not_published"]
    assert item == {
        "id": item["id"],
        "identifier": BIRTHS[0],
        "title": BIRTHS[1],
        "agency": "DPH",
        "access_level": "public",
    }
    assert body["counts"] == {
        "inventoried_not_published": 1,
        "published_not_inventoried": 2,
        "access_mismatch": 1,
    }
    # The non-public HIV dataset is on no portal, as it should be: in no list.
    assert HIV[0] not in str(body)


def test_stewards_see_their_agencies_only(
    app, dph_sources, harvest_named, client, make_user, token_for
):
    two_sources(dph_sources, harvest_named)
    dph = token_for(make_user("steward", agencies=("DPH",)))
    dot = token_for(make_user("steward", agencies=("DOT",)))

    mine = client.get("/api/v1/reconciliation", headers=auth(dph)).json
    assert mine["counts"]["published_not_inventoried"] == 2
    other = client.get("/api/v1/reconciliation", headers=auth(dot)).json
    assert other["counts"] == dict.fromkeys(other["counts"], 0)
    assert client.get("/api/v1/reconciliation?limit=0", headers=auth(dph)).status_code == 422
    assert app.test_client().get("/api/v1/reconciliation").status_code == 401


def test_the_page_and_the_dashboard(app, dph_sources, harvest_named, client, make_user, login):
    two_sources(dph_sources, harvest_named)
    login(make_user("cdo"))
    html = client.get("/reconciliation").get_data(as_text=True)
    assert "Inventoried as public, on no portal (1)" in html and BIRTHS[1] in html
    assert "On a portal, in no agency&#39;s inventory (2)" in html
    assert "On a portal, but not public in the inventory (1)" in html
    # The dashboard lists every agency, those with nothing inventoried too.
    dashboard = client.get("/dashboard").get_data(as_text=True)
    coverage = dashboard.split('id="coverage-h"')[1].split("</section>")[0]
    assert "Department of Revenue Services" in coverage and "nothing inventoried" in coverage
    dph_row = coverage.split(">Department of Public Health</a>")[1].split("</tr>")[0]
    cells = [c.split("<")[0].strip() for c in dph_row.split("<td>")[1:7]]
    # 6 datasets: 4 inventoried, 4 on the portal; 1, 2 and 1 in the three lists.
    assert cells == ["6", "4", "4", "1", "2", "1"]


def test_sources_carry_their_role_in_the_cli_the_api_and_the_pages(
    app, runner, client, make_user, login
):
    from harvesters.cli import sources as sources_cli

    added = runner.invoke(
        sources_cli,
        [
            "add",
            "ct-portal",
            "--kind",
            "socrata",
            "--url",
            "https://data.ct.gov",
            "--role",
            "portal",
        ],
    )
    assert added.exit_code == 0 and "(socrata, portal)" in added.output
    bad = runner.invoke(
        sources_cli, ["add", "x", "--kind", "socrata", "--url", "https://x.gov", "--role", "both"]
    )
    assert bad.exit_code == 2
    listed = runner.invoke(sources_cli, ["list"])
    assert "portal" in listed.output
    with app.app_context():
        role = select(HarvestSource.role).where(HarvestSource.name == "ct-portal")
        assert db.session.scalar(role) == "portal"
    (item,) = client.get("/api/v1/harvest/sources").json["items"]
    assert item["role"] == "portal"
    login(make_user("cdo"))
    assert "<td>portal</td>" in client.get("/harvest/").get_data(as_text=True)
