"""No input reaches a server error: impossible or absurd dates are refused naming the field, and
so is text holding a lone UTF-16 surrogate, through the API, the forms and harvests alike."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dataset_payload
from tests.web.test_steward_forms import csrf_from, sign_in

BAD_DATES = [
    ("modified", "9999-12-31T23:59:59-12:00"),  # year 10000 in UTC: an OverflowError on main
    ("modified", "2024-02-30"),
    ("modified", "0000-01-01"),
    ("modified", "2023-366"),  # 2023 has 365 days
    ("modified", "1200-01-01T25:00"),
    ("issued", "2024-02-30"),
    ("issued", "0999-12-31"),
    ("temporal", "2020-01-01/2024-02-30"),
    ("temporal", "0000-01-01/2020-01-01"),
    ("temporal", "2020-01-01/9999-12-31T23:59:59-12:00"),
]
GOOD_DATES = [
    ("modified", "2024-02-29"),
    ("modified", "2024-05-01T10:00:00-04:00"),
    ("modified", "R/P1W"),
    ("modified", "2024-366"),
    ("temporal", "1636-01-01/2024-12-31"),
    ("temporal", "2020-01-01/P1Y"),
    ("issued", "2999-12-31"),
]


@pytest.fixture
def api(make_user, token_for) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(make_user('steward', agencies=('DPH',)))}"}


@pytest.mark.parametrize(("field", "value"), BAD_DATES)
def test_api_refuses_impossible_dates_naming_the_field(client, api, field, value) -> None:
    response = client.post("/api/v1/datasets", json=dataset_payload(**{field: value}), headers=api)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert field in response.json["errors"]


@pytest.mark.parametrize(("field", "value"), BAD_DATES[:3])
def test_api_patch_refuses_impossible_dates(client, api, make_dataset, field, value) -> None:
    dataset = make_dataset()
    response = client.patch(f"/api/v1/datasets/{dataset.id}", json={field: value}, headers=api)
    assert response.status_code == 422 and field in response.json["errors"]


@pytest.mark.parametrize(("field", "value"), GOOD_DATES)
def test_real_dates_are_accepted(client, api, field, value) -> None:
    response = client.post("/api/v1/datasets", json=dataset_payload(**{field: value}), headers=api)
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "Hospital \\ud800 discharges"}', "title"),
        ('{"contactPoint": {"fn": "\\udfff", "hasEmail": "mailto:a@ct.gov"}}', "contactPoint.fn"),
        ('{"keyword": ["ok", "\\ud83d"]}', "keyword.1"),
        ('{"title": "x", "\\ud800": 1}', "\\ud800"),
    ],
)
def test_lone_surrogates_are_refused_naming_the_field(client, api, body, field) -> None:
    payload = {**dataset_payload(), **json.loads(body)}
    raw = json.dumps(payload)  # ASCII escapes: the lone surrogate travels as \\udXXX
    response = client.post(
        "/api/v1/datasets", data=raw, content_type="application/json", headers=api
    )
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    errors = response.json["errors"]
    assert any(field.encode().decode("unicode_escape") in key or field in key for key in errors)
    assert "surrogate" in json.dumps(errors)


def test_a_well_formed_emoji_pair_is_fine(client, api) -> None:
    raw = json.dumps(dataset_payload(title="Beaches \U0001f3d6 by town"))
    assert "\\ud83c\\udfd6" in raw
    response = client.post(
        "/api/v1/datasets", data=raw, content_type="application/json", headers=api
    )
    assert response.status_code == 201 and response.json["title"] == "Beaches \U0001f3d6 by town"


def test_surrogates_are_refused_on_every_json_endpoint(client, api) -> None:
    response = client.post(
        "/api/v1/progress-reports",
        data='{"plan": "2025-2026", "objective": "G1.1", "agency": "DPH", "period": "2026-H2",'
        ' "status": "on-track", "narrative": "\\ud800"}',
        content_type="application/json",
        headers=api,
    )
    assert response.status_code == 400 and "narrative" in response.json["errors"]


def test_the_edit_form_refuses_an_impossible_date(client, make_user, make_dataset) -> None:
    make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov")
    dataset = make_dataset(agency="DPH")
    sign_in(client, "pat@dph.ct.gov")
    form = client.get(f"/datasets/{dataset.id}/edit").text
    response = client.post(
        f"/datasets/{dataset.id}/edit",
        data={"csrf_token": csrf_from(form), "agency": "DPH", "title": "T", "description": "D",
              "access_level": "public", "contact_name": "Pat", "version": "1",
              "modified": "9999-12-31T23:59:59-12:00"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "outside the years" in response.text or "not a real calendar" in response.text
