"""Properties of the dataset schemas, with hypothesis-generated input."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.errors import InvalidInput
from catalog.models import ACCESS_LEVELS
from catalog.schemas.present import present_dataset
from catalog.services.datasets import create_dataset, validate_dataset

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
dcat_keys = st.sampled_from(
    ["title", "description", "keyword", "modified", "accessLevel", "rights", "contactPoint",
     "distribution", "temporal", "accrualPeriodicity", "landingPage", "theme", "agency"]
)  # fmt: skip


@given(st.dictionaries(dcat_keys | st.text(max_size=10), json_values, max_size=8))
@settings(max_examples=200, deadline=None)
def test_any_json_object_is_accepted_or_refused_with_field_messages(payload):
    try:
        data = validate_dataset(payload)
    except InvalidInput as exc:
        assert exc.errors and all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            for messages in exc.errors.values()
        )
    else:
        assert data["title"] and data["access_level"] in ACCESS_LEVELS


words = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
    .map(str.strip)
    .filter(bool)
)
valid_payloads = st.fixed_dictionaries(
    {
        "title": words.map(lambda w: w[:500]),
        "description": words,
        "accessLevel": st.just("public"),
        "contactPoint": st.fixed_dictionaries({"fn": words.map(lambda w: w[:255])}),
        "keyword": st.lists(words.map(lambda w: w[:255]), max_size=5, unique=True),
        "modified": st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(
            lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
        ),
        "accrualPeriodicity": st.sampled_from(["R/P1D", "R/P1W", "R/P1M", "R/P1Y", "irregular"]),
    }
)


@given(valid_payloads)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_valid_payloads_round_trip_through_storage(session, payload):
    dataset = create_dataset(session, {**payload, "agency": "DPH"}, "test")
    session.flush()
    out = present_dataset(dataset, None)
    out["contactPoint"].pop("@type")
    for key, value in payload.items():
        assert out.get(key, []) == value, key
    session.rollback()
