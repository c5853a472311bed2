"""DCAT-US 3.0 and W3C DCAT (RDF) exports: valid, converted the way GSA's migration notes say,
the same visibility as /data.json, assembled from fragments that follow changes."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from catalog.db import db
from catalog.dcat.validation import v3_errors, v11_errors
from tests.public.test_data_json import SECRET_STRINGS, by_identifier


def titles_in_graph(graph: Graph) -> dict[str, str]:
    return {
        str(graph.value(node, DCTERMS.identifier)): str(graph.value(node, DCTERMS.title))
        for node in graph.subjects(RDF.type, DCAT.Dataset)
    }


def test_dcat_us_3_catalog_validates_and_converts_1_1_values(client, mixed_catalog):
    response = client.get("/catalog/dcat-us-3.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert v3_errors(doc) == []
    assert doc["conformsTo"]["title"] == "DCAT-US 3.0"
    entries = by_identifier(doc)
    assert set(entries) == {"ct-dph-discharges", "ct-dph-births", "ct-dph-immunizations"}
    public = entries["ct-dph-discharges"]
    # A 1.1 interval becomes a PeriodOfTime; the language tag its two-letter code; a landing
    # page a Document; accrualPeriodicity the schema's word.
    assert public["temporal"] == [
        {"@type": "PeriodOfTime", "startDate": "2015-01-01", "endDate": "2023-12-31"}
    ]
    assert public["language"] == ["en"]
    assert public["landingPage"] == {
        "@type": "Document",
        "title": "Hospital discharges by town",
        "accessURL": "https://data.ct.gov/d/abcd-1234",
    }
    assert public["accrualPeriodicity"] == "annual"
    assert public["contactPoint"][0]["hasEmail"].startswith("mailto:")
    assert public["accessRights"] == "public"
    assert public["describedBy"]["mediaType"] == "application/json"
    assert public["distribution"][0]["format"] == "CSV"
    non_public = entries["ct-dph-immunizations"]
    assert "distribution" not in non_public and "describedBy" not in non_public
    assert "HIPAA" in non_public["rights"][0]
    text = json.dumps(doc)
    for secret in SECRET_STRINGS:
        assert secret not in text


def test_repeating_modified_becomes_a_date_and_a_frequency(client, make_dataset):
    make_dataset(identifier="weekly-feed", modified="R/P1W", accrualPeriodicity=None)

    doc = client.get("/catalog/dcat-us-3.json").get_json()

    assert v3_errors(doc) == []
    entry = by_identifier(doc)["weekly-feed"]
    assert entry["accrualPeriodicity"] == "weekly"
    assert len(entry["modified"]) == 10 and entry["modified"][4] == "-"  # a date, YYYY-MM-DD
    # data.json keeps the 1.1 value as it was
    assert by_identifier(client.get("/data.json").get_json())["weekly-feed"]["modified"] == "R/P1W"


def test_missing_contact_address_is_the_catalogs_so_3_0_still_validates(client, app):
    from catalog.services.datasets import create_dataset
    from tests.conftest import dataset_payload

    with app.app_context():
        create_dataset(
            db.session,
            dataset_payload(identifier="no-contact", contactPoint=None, description=None),
            "harvest:test",
            partial=("description", "contactPoint"),
        )
        db.session.commit()

    doc = client.get("/catalog/dcat-us-3.json").get_json()

    assert v3_errors(doc) == []
    entry = by_identifier(doc)["no-contact"]
    assert entry["contactPoint"] == [
        {"@type": "Kind", "fn": "Department of Public Health", "hasEmail": "mailto:opendata@ct.gov"}
    ]


def test_turtle_and_json_ld_parse_back_with_the_same_datasets_and_titles(client, mixed_catalog):
    data_json = client.get("/data.json").get_json()
    expected = {entry["identifier"]: entry["title"] for entry in data_json["dataset"]}
    assert v11_errors(data_json) == []  # /data.json still validates as 1.1

    turtle = client.get("/catalog.ttl")
    assert turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert titles_in_graph(graph) == expected
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(list(graph.objects(catalog, DCAT.dataset))) == 3

    jsonld = client.get("/catalog.jsonld")
    assert jsonld.mimetype == "application/ld+json"
    assert titles_in_graph(Graph().parse(data=jsonld.get_data(as_text=True), format="json-ld")) == (
        expected
    )
    text = turtle.get_data(as_text=True) + jsonld.get_data(as_text=True)
    for secret in SECRET_STRINGS:
        assert secret not in text


@pytest.mark.parametrize(
    ("suffix", "media_type", "rdf_format"),
    [
        ("ttl", "text/turtle", "turtle"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("rdf", "application/rdf+xml", "xml"),
    ],
)
def test_one_dataset_as_rdf_by_suffix_and_by_content_negotiation(
    client, mixed_catalog, suffix, media_type, rdf_format
):
    dataset_id = mixed_catalog["public"]["id"]
    by_suffix = client.get(f"/datasets/{dataset_id}.{suffix}")
    negotiated = client.get(f"/datasets/{dataset_id}", headers={"Accept": media_type})

    for response in (by_suffix, negotiated):
        assert response.status_code == 200 and response.mimetype == media_type
        graph = Graph().parse(data=response.get_data(as_text=True), format=rdf_format)
        node = URIRef(f"http://localhost/datasets/{dataset_id}")
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert str(graph.value(node, DCTERMS.title)) == "Hospital discharges by town"
        downloads = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
        assert downloads == {"https://data.ct.gov/api/views/abcd-1234/rows.csv"}


def test_browsers_still_get_the_html_page(client, mixed_catalog):
    dataset_id = mixed_catalog["public"]["id"]
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(f"/datasets/{dataset_id}", headers={"Accept": browser_accept})
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    assert client.get(f"/datasets/{dataset_id}", headers={"Accept": "*/*"}).mimetype == "text/html"


def test_rdf_of_a_non_public_dataset_has_no_access_paths(client, mixed_catalog):
    dataset_id = mixed_catalog["non_public"]["id"]
    text = client.get(f"/datasets/{dataset_id}.ttl").get_data(as_text=True)
    graph = Graph().parse(data=text, format="turtle")
    assert not list(graph.subjects(RDF.type, DCAT.Distribution))
    for secret in SECRET_STRINGS:
        assert secret not in text


def test_withdrawn_or_unknown_dataset_has_no_rdf(client, mixed_catalog):
    assert client.get(f"/datasets/{mixed_catalog['withdrawn']['id']}.ttl").status_code == 404
    assert client.get("/datasets/0000000000000000.jsonld").status_code == 404


def test_a_change_rebuilds_only_that_datasets_fragment(app, client, make_dataset, monkeypatch):
    from catalog.exports import fragments

    first = make_dataset(identifier="first")
    make_dataset(identifier="second", title="Second dataset")
    assert len(client.get("/catalog/dcat-us-3.json").get_json()["dataset"]) == 2

    built: list[str] = []
    original = fragments.BUILDERS["v3"]
    monkeypatch.setitem(
        fragments.BUILDERS,
        "v3",
        lambda record, ctx: built.append(record["id"]) or original(record, ctx),
    )
    with app.app_context():
        from catalog.services.datasets import update_dataset

        update_dataset(db.session, first.id, {"title": "First, renamed"}, "test")
        db.session.commit()

    doc = client.get("/catalog/dcat-us-3.json").get_json()

    assert built == [first.id]
    assert by_identifier(doc)["first"]["title"] == "First, renamed"
    assert by_identifier(doc)["second"]["title"] == "Second dataset"


def test_the_exports_job_builds_fragments_so_requests_build_none(
    app, client, make_dataset, monkeypatch
):
    """After a harvest, the periodic ``exports`` job (not the next visitor) builds the catalog
    files' fragments for the configured public address."""
    from catalog.exports import fragments
    from jobs.tasks import run_periodic

    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://data.ct.example")
    for n in range(3):
        make_dataset(identifier=f"job-{n}", title=f"Dataset {n}")
    assert run_periodic(app, "exports") == f"{3 * len(fragments.BUILDERS)} export fragments rebuilt"

    built: list[str] = []
    for fmt, original in list(fragments.BUILDERS.items()):
        monkeypatch.setitem(
            fragments.BUILDERS, fmt, lambda r, c, o=original: built.append(r["id"]) or o(r, c)
        )
    for path in ("/data.json", "/catalog/dcat-us-3.json", "/catalog.ttl", "/catalog.jsonld"):
        assert client.get(path).status_code == 200, path
    assert built == []
    assert "https://data.ct.example/" in client.get("/catalog/dcat-us-3.json").text
    assert run_periodic(app, "exports") == "0 export fragments rebuilt"


def test_export_command_writes_a_valid_dcat_us_3_catalog(runner, mixed_catalog, tmp_path):
    from manage import build_cli

    out = tmp_path / "catalog.json"
    result = runner.invoke(
        build_cli(),
        [
            "export",
            "dcat-us-3",
            "--out",
            str(out),
            "--base-url",
            "https://data.ct.gov/",
            "--validate",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "Wrote 3 datasets" in result.output
    doc = json.loads(out.read_text())
    assert doc["@id"] == "https://data.ct.gov/catalog/dcat-us-3.json"
    assert v3_errors(doc) == []


def test_footer_links_the_catalog_files_and_the_api_documentation(client):
    page = client.get("/").get_data(as_text=True)
    for href in ("/data.json", "/catalog/dcat-us-3.json", "/catalog.ttl", "/api/docs"):
        assert f'href="{href}"' in page
