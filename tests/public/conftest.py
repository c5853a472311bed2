from __future__ import annotations

import pytest

from tests.conftest import dataset_payload


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def steward(make_user):
    return make_user("steward", agencies=("DPH",), email="steward@dph.ct.gov")


@pytest.fixture
def mixed_catalog(client, steward, token_for, make_dataset):
    """Public, restricted public, non-public and withdrawn datasets, created through the API."""
    headers = auth(token_for(steward))

    def post(**overrides):
        response = client.post(
            "/api/v1/datasets", json=dataset_payload(**overrides), headers=headers
        )
        assert response.status_code == 201, response.json
        return response.json

    public = post(
        title="Hospital discharges by town",
        identifier="ct-dph-discharges",
        theme=["Health"],
        issued="2019-01-01",
        temporal="2015-01-01/2023-12-31",
        accrualPeriodicity="R/P1Y",
        landingPage="https://data.ct.gov/d/abcd-1234",
        language=["en-US"],
        references=["https://portal.ct.gov/dph/methods"],
        describedBy="https://data.ct.gov/api/views/abcd-1234/columns.json",
        describedByType="application/json",
        distribution=[
            {
                "title": "CSV",
                "downloadURL": "https://data.ct.gov/api/views/abcd-1234/rows.csv",
                "mediaType": "text/csv",
                "format": "CSV",
            },
            {
                "title": "API",
                "accessURL": "https://data.ct.gov/resource/abcd-1234.json",
                "format": "API",
            },
        ],
        columns=[{"name": "town", "type": "text", "description": "Patient town"}],
        steward={"name": "Pat Steward", "email": "pat.steward@ct.gov"},
        classification="public",
        notes="Internal: refresh after the annual hospital filing.",
    )
    restricted = post(
        title="Birth records with town detail",
        identifier="ct-dph-births",
        description="Live births by mother's town of residence.",
        keyword=["births", "vital statistics"],
        accessLevel="restricted public",
        rights="Small counts are suppressed; researchers apply to the DPH IRB for the full file.",
        distribution=[
            {
                "title": "Full file",
                "downloadURL": "https://files.dph.ct.gov/secret/births.csv",
                "mediaType": "text/csv",
            }
        ],
        notes="Internal: IRB contact is J. Doe.",
    )
    non_public = post(
        title="Immunization registry extract",
        identifier="ct-dph-immunizations",
        description="Doses recorded in CT WiZ, the state immunization information system.",
        keyword=["vaccines"],
        accessLevel="non-public",
        rights="Protected health information (HIPAA 45 CFR 164); not released.",
        systemOfRecords="https://internal.dph.ct.gov/sorn/ctwiz",
        distribution=[
            {
                "accessURL": "https://sftp.dph.ct.gov/ctwiz/",
                "downloadURL": "https://sftp.dph.ct.gov/ctwiz/extract.csv",
                "mediaType": "text/csv",
            }
        ],
        columns=[{"name": "patient_id", "type": "text"}],
    )
    withdrawn = post(
        title="Old flu counts",
        identifier="ct-dph-flu-old",
        description="Weekly influenza counts (replaced).",
        keyword=["flu"],
    )
    response = client.patch(
        f"/api/v1/datasets/{withdrawn['id']}", json={"status": "withdrawn"}, headers=headers
    )
    assert response.status_code == 200
    return {
        "public": public,
        "restricted": restricted,
        "non_public": non_public,
        "withdrawn": withdrawn,
    }
