"""The dataset page: metadata, distributions, data dictionary, request access, history."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, unquote, urlsplit

from tests.public.test_tables import login


def test_public_dataset_page_shows_metadata_distributions_and_dictionary(client, mixed_catalog):
    page = client.get(f"/datasets/{mixed_catalog['public']['id']}").get_data(as_text=True)

    assert '<h1 id="dataset-title">Hospital discharges by town</h1>' in page
    for text in (
        "ct-dph-discharges",
        "R/P1Y",
        "2015-01-01/2023-12-31",
        "en-US",
        "https://portal.ct.gov/dph/methods",
        "rows.csv",
        "Patient town",
        "Data dictionary",
        "https://data.ct.gov/api/views/abcd-1234/columns.json",
    ):
        assert text in page, text
    assert "How to request access" not in page
    assert "Internal:" not in page and "Change history" not in page


def test_non_public_page_offers_a_request_access_path(client, mixed_catalog):
    page = client.get(f"/datasets/{mixed_catalog['non_public']['id']}").get_data(as_text=True)

    assert "How to request access" in page
    assert "HIPAA 45 CFR 164" in page
    href = html.unescape(page.split('class="button" href="', 1)[1].split('"', 1)[0])
    parts = urlsplit(href)
    assert parts.scheme == "mailto" and unquote(parts.path) == "data.officer@ct.gov"
    subject = parse_qs(parts.query)["subject"][0]
    assert subject == "Access request: Immunization registry extract (ct-dph-immunizations)"
    for secret in ("sftp.dph.ct.gov", "internal.dph.ct.gov", "patient_id"):
        assert secret not in page


def test_request_access_falls_back_to_the_agency(client, make_dataset):
    dataset = make_dataset(
        identifier="no-contact",
        accessLevel="restricted public",
        rights="Apply in writing.",
        contactPoint={"fn": "Records unit"},
    )
    page = client.get(f"/datasets/{dataset.id}").get_data(as_text=True)
    assert "How to request access" in page
    assert "Contact Department of Public Health data officer" in page
    assert "no-contact" in page


def test_steward_sees_history_governance_and_access_paths(client, mixed_catalog, steward):
    login(client, steward.email)
    page = client.get(f"/datasets/{mixed_catalog['non_public']['id']}").get_data(as_text=True)

    assert "Change history" in page and "dataset.create" in page
    assert "sftp.dph.ct.gov" in page
    assert "Edit this dataset" in page


def test_footer_links_to_the_machine_readable_exports(client):
    page = client.get("/").get_data(as_text=True)
    for link in ('href="/data.json"', 'href="/datasets.csv"', "/api/3/action/package_search"):
        assert link in page
