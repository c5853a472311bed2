"""Each way search broke in issue 15, tried again the way a user would: now a 200 and the
right answer (or a plain 400)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import Dataset
from catalog.services.harvest import add_source
from harvesters.runner import run_harvest
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
README_DATASET = {
    "title": "Hospital discharges",
    "description": "By town and year.",
    "accessLevel": "public",
    "contactPoint": {"fn": "DPH Data Officer", "hasEmail": "mailto:dph.data@ct.gov"},
    "agency": "DPH",
}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [item["id"] for item in response.json["items"]]


@pytest.fixture
def steward_token(make_user, token_for):
    return token_for(make_user("steward", agencies=("DPH",)))


def test_the_readme_dataset_without_modified_lists_everywhere(client, steward_token, make_dataset):
    dated = make_dataset(title="Dated dataset", modified="2024-05-01")
    auth = {"Authorization": f"Bearer {steward_token}"}
    created = client.post("/api/v1/datasets", json=README_DATASET, headers=auth)
    assert created.status_code == 201, created.json
    undated = created.json["id"]
    assert client.get("/").status_code == 200
    assert set(_ids(client.get("/api/v1/datasets"))) == {dated.id, undated}
    assert _ids(client.get("/api/v1/datasets?sort=modified")) == [dated.id, undated]
    # A PATCH of the dataset without `modified`, then every sort again.
    patched = client.patch(
        f"/api/v1/datasets/{undated}", json={"title": "Discharges"}, headers=auth
    )
    assert patched.status_code == 200, patched.json
    for sort in ("relevance", "modified", "title", "score"):
        assert set(_ids(client.get(f"/api/v1/datasets?sort={sort}"))) == {dated.id, undated}
    assert "Discharges" in client.get("/?sort=modified").get_data(as_text=True)


def _source_file(tmp_path, name: str, entries: list[dict]):
    catalog = json.loads(CDC.read_text())
    catalog["dataset"] = entries
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(catalog))
    return path


def test_harvest_seven_then_three_then_a_second_source_lists(app_ctx, client, tmp_path):
    assert client.get("/api/v1/datasets").status_code == 200  # a server already running
    entries = json.loads(CDC.read_text())["dataset"]
    for entry in entries[1:7]:
        entry.pop("modified", None)  # undated records, among them all four withdrawn below
    first = _source_file(tmp_path, "first", entries[:7])
    source = add_source(db.session, "first", "dcat-us", str(first), "test", agency_code="DPH")
    db.session.commit()
    assert run_harvest(db.session, source, app_ctx.config).status == "succeeded"
    assert client.get("/api/v1/datasets").json["total"] == 7
    _source_file(tmp_path, "first", entries[:3])  # the source now lists 3: 4 are withdrawn
    job = run_harvest(db.session, source, app_ctx.config)
    assert (job.status, job.withdrawn) == ("succeeded", 4)
    second = _source_file(tmp_path, "second", entries[20:25])
    other = add_source(db.session, "second", "dcat-us", str(second), "test", agency_code="DOT")
    db.session.commit()
    assert run_harvest(db.session, other, app_ctx.config).status == "succeeded"

    active = set(db.session.scalars(select(Dataset.id).where(Dataset.status == "active")))
    assert len(active) == 8
    for sort in ("relevance", "modified", "title", "score"):
        response = client.get(f"/api/v1/datasets?sort={sort}&per_page=100")
        assert set(_ids(response)) == active
        everything = client.get(f"/api/v1/datasets?sort={sort}&per_page=100&include_withdrawn=1")
        assert len(_ids(everything)) == 12
    assert client.get("/?sort=modified").status_code == 200


def test_pages_partition_45_tied_hits_exactly(client, make_dataset):
    assert client.get("/api/v1/datasets").status_code == 200  # a catalog in service: indexed
    for n in range(45):  # identical texts: every score ties
        make_dataset(title="Tied river survey", identifier=f"tied-{n}", modified=None)
    for query in ("q=river", "q=river+survey", "sort=relevance", "sort=score", "sort=modified"):
        seen = []
        for page in range(1, 6):
            seen += _ids(client.get(f"/api/v1/datasets?{query}&per_page=10&page={page}"))
        assert len(seen) == len(set(seen)) == 45, query
        assert seen == sorted(seen), query  # ties fall by dataset id, the same way every time


def _hostile_catalog(make_dataset) -> None:
    words = [f"{a}{b}{c}" for a in "zyxw" for b in "aeiou" for c in "tnrs"]
    for n in range(40):
        make_dataset(
            title=f"Survey {words[n]} {words[n + 1]}",
            description=" ".join(words[(n * 7 + k) % len(words)] for k in range(30)),
            keyword=[words[n + 2]],
        )


HOSTILE = [
    " ".join(f"*{c}*" for c in "zyxwvutsrqponmlkjihgfedcba" * 3)[:480],  # 72-odd wildcards
    " OR ".join(f"{c}{v}*" for c in "zyxw" for v in "aeiou")[:480],  # OR'd prefixes
    " OR ".join(f"title:[a TO {c}]" for c in "zyxwvutsrqponmlkjihg"),  # ranges: read as words
    "NOT NOT zat",
    "(" * 300 + "zat" + ")" * 300,
    "NOT " * 40 + "zat",
    '"' + "zat " * 60 + '"',
    "-zat -" * 40,
    "x" * 600,
]


def test_hostile_queries_are_answered_quickly_and_do_not_hold_up_others(client, make_dataset):
    _hostile_catalog(make_dataset)
    plain_times: list[float] = []

    def plain() -> None:
        other = client.application.test_client()
        for _ in range(10):
            t0 = time.monotonic()
            assert other.get("/api/v1/datasets?q=survey").status_code == 200
            plain_times.append(time.monotonic() - t0)

    for query in HOSTILE:
        side = threading.Thread(target=plain)
        t0 = time.monotonic()
        side.start()
        response = client.get("/api/v1/datasets", query_string={"q": query})
        elapsed = time.monotonic() - t0
        side.join(timeout=30)
        assert response.status_code in (200, 400), (query[:60], response.status_code)
        if response.status_code == 400:
            assert response.json["errors"]["q"][0].startswith("Your search")
        assert elapsed < 1.0, (query[:60], elapsed)
    assert max(plain_times) < 1.0
    # The same through CKAN's package_search, in q and in fq.
    for query in HOSTILE:
        for key in ("q", "fq"):
            body = client.post("/api/3/action/package_search", json={key: query})
            assert body.status_code in (200, 409), (key, query[:60], body.status_code)


def test_double_negation_and_deep_brackets(client, make_dataset):
    target = make_dataset(title="Zebra mussel survey")
    make_dataset(title="Harbor survey")
    assert _ids(client.get("/api/v1/datasets", query_string={"q": "NOT NOT zebra"})) == [target.id]
    deep = client.get("/api/v1/datasets", query_string={"q": "(" * 11 + "zebra" + ")" * 11})
    assert deep.status_code == 400 and "nests" in deep.json["errors"]["q"][0]
    ckan = client.post("/api/3/action/package_search", json={"q": "(" * 5000 + "zebra"})
    assert ckan.status_code in (200, 409)


def test_field_queries_never_reveal_what_anonymous_users_may_not_see(
    client, make_dataset, make_user, token_for
):
    hidden = make_dataset(
        title="Case files",
        accessLevel="non-public",
        rights="Confidential.",
        distribution=[{"accessURL": "https://internal.example/x", "format": "SECRETFMT"}],
    )
    cdo = {"Authorization": f"Bearer {token_for(make_user('cdo'))}"}
    for q in (
        "format:SECRETFMT",
        "format:secretfmt",
        "case format:SECRETFMT",
        'format:"SECRETFMT"',
    ):
        assert client.get("/api/v1/datasets", query_string={"q": q}).json["total"] == 0, q
        assert _ids(client.get("/api/v1/datasets", query_string={"q": q}, headers=cdo)) == [
            hidden.id
        ]
    for q in ("format:SECRET*", "format:[A TO Z]", "format:*"):
        assert client.get("/api/v1/datasets", query_string={"q": q}).json["total"] == 0, q
    assert client.get("/api/v1/datasets?format=SECRETFMT").json["total"] == 0
    facets = client.get("/api/v1/datasets").json["facets"]["format"]
    assert all(f["value"] != "SECRETFMT" for f in facets)
    assert "Case files" not in client.get("/datasets.csv?q=format:SECRETFMT").get_data(as_text=True)
    ckan = client.get("/api/3/action/package_search?fq=res_format:SECRETFMT").json["result"]
    assert ckan["count"] == 0
    ckan = client.get('/api/3/action/package_search?facet.field=["res_format"]').json["result"]
    assert "SECRETFMT" not in ckan["facets"]["res_format"]
    # Governance fields are not searchable at all.
    assert client.get("/api/v1/datasets?q=classification:confidential").json["total"] == 0


QUERIES = [
    ({"q": "survey"}, {}),
    ({"q": "hospital OR river"}, {}),
    ({"q": "surv*"}, {"agency": "DPH"}),
    ({"q": "-river"}, {"theme": "Health"}),
    ({"q": ""}, {"agency": "DOT", "format": "CSV"}),
    ({"q": '"river survey"'}, {}),
    ({"q": "hospital zebracorn"}, {}),  # relaxed: no dataset holds both
]


def test_ckan_count_api_total_and_csv_rows_agree(client, make_dataset):
    for n in range(12):
        make_dataset(
            title=f"{['River survey', 'Hospital discharges', 'Road closures'][n % 3]} {n}",
            agency=("DPH", "DOT")[n % 2],
            theme=["Health"] if n % 3 else ["Transportation"],
            distribution=[{"accessURL": "https://example.org/x", "format": "CSV"}] if n % 4 else [],
            keyword=["rivers"] if n % 5 else [],
        )
    ckan_names = {"agency": "organization", "format": "res_format", "theme": "groups"}
    for search, filters in QUERIES:
        api = client.get("/api/v1/datasets", query_string={**search, **filters, "per_page": 100})
        rows = list(
            csv.DictReader(
                io.StringIO(
                    client.get("/datasets.csv", query_string={**search, **filters})
                    .get_data(as_text=True)
                    .lstrip("\ufeff")
                )
            )
        )
        fq = " ".join(
            f'{ckan_names[k]}:"{v.lower() if k == "agency" else v}"' for k, v in filters.items()
        )
        ckan = client.post(
            "/api/3/action/package_search", json={"q": search["q"], "fq": fq, "rows": 100}
        ).json["result"]
        assert api.json["total"] == len(rows) == ckan["count"], (search, filters)
        assert [r["id"] for r in rows] == _ids(api)
        assert {p["id"] for p in ckan["results"]} == set(_ids(api))


def test_stemming_finds_other_forms_and_ranks_exact_words_first(client, make_dataset):
    children = make_dataset(title="Children's health survey")
    child = make_dataset(title="Child care survey", description="Care for a child, by town.")
    runs = make_dataset(title="River running surveys")
    assert _ids(client.get("/api/v1/datasets?q=child")) == [child.id, children.id]
    assert _ids(client.get("/api/v1/datasets?q=children")) == [children.id, child.id]
    assert _ids(client.get("/api/v1/datasets?q=run")) == [runs.id]
    assert len(_ids(client.get("/api/v1/datasets?q=survey"))) == 3


def test_did_you_mean_comes_from_the_index(client, make_dataset):
    make_dataset(title="Tobacco use among adults")
    body = client.get("/api/v1/datasets?q=tobbaco").json
    assert (body["total"], body["suggestion"]) == (0, "tobacco")


def test_a_query_too_long_is_a_plain_400(client):
    response = client.get("/api/v1/datasets", query_string={"q": "word " * 200})
    assert response.status_code == 400
    assert "too long" in response.json["errors"]["q"][0]
    page = client.get("/", query_string={"q": "word " * 200})
    assert page.status_code == 400 and "too long" in page.get_data(as_text=True)
