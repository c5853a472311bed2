"""Single-value conversions of the DCAT mapping, on messy inputs."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.dcat import values


@pytest.mark.parametrize(
    ("given_format", "media_type", "expected"),
    [
        ("csv", None, "CSV"), ("Csv", None, "CSV"), (" CSV ", None, "CSV"), (".csv", None, "CSV"),
        ("text/csv", None, "CSV"), (None, "text/csv", "CSV"),
        (None, "text/csv; charset=utf-8", "CSV"),
        ("geojson", None, "GeoJSON"), ("Esri Shapefile", None, "SHP"), ("docx", None, "DOCX"),
        ("Comma Separated Values", None, "CSV"), ("A long free-text format name", None,
                                                  "A long free-text format name"),
        (None, "application/x-unknown", None), ("", None, None),
    ],
)  # fmt: skip
def test_one_spelling_per_format(given_format, media_type, expected) -> None:
    assert values.normalise_format(given_format, media_type) == expected


@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=30)))
def test_normalising_twice_changes_nothing(name: str, media_type: str | None) -> None:
    once = values.normalise_format(name, media_type)
    assert values.normalise_format(once, media_type) == once


@pytest.mark.parametrize(
    ("word", "duration"),
    [("Weekly", "R/P1W"), ("annual", "R/P1Y"), ("fortnightly", "R/P2W"), ("R/P3M", "R/P3M"),
     ("http://purl.org/cld/freq/monthly", "R/P1M"), ("as needed", "irregular"),
     ("every-other-tuesday", None), (None, None), ({"x": 1}, None)],
)  # fmt: skip
def test_frequencies_become_durations(word, duration) -> None:
    assert values.frequency(word) == duration


@given(st.dates(min_value=date(1900, 1, 1)), st.dates(min_value=date(1900, 1, 1)))
def test_an_interval_round_trips_through_a_period_of_time(start: date, end: date) -> None:
    interval = f"{start.isoformat()}/{end.isoformat()}"
    period = values.period(interval)
    assert period == {
        "@type": "PeriodOfTime", "startDate": start.isoformat(), "endDate": end.isoformat()
    }  # fmt: skip
    assert values.interval(period) == interval


def test_gsa_interval_forms() -> None:
    assert values.period("2010-01-01T00:00:00Z/P1Y") == {
        "@type": "PeriodOfTime", "startDate": "2010-01-01"
    }  # fmt: skip
    assert values.period("P1Y/2020-12-31") == {"@type": "PeriodOfTime", "endDate": "2020-12-31"}
    assert values.period("not an interval") is None
    assert values.interval({"startDate": "2015-01-01"}) is None  # 1.1 has no open interval


@given(st.text(max_size=40))
def test_conversions_never_raise_on_text(text: str) -> None:
    for convert in (values.frequency, values.date_v3, values.period, values.location,
                    values.language_v3, values.as_uri, values.email):  # fmt: skip
        convert(text)


def test_dates_3_0_accepts() -> None:
    assert values.date_v3("2024-05-01") == "2024-05-01"
    assert values.date_v3("2024-05-01T10:00:00") == "2024-05-01T10:00:00Z"
    assert values.date_v3("2024-05-01 10:00:00") == "2024-05-01T10:00:00Z"
    assert values.date_v3("R/P1W") is None and values.date_v3("2024") == "2024"
    assert values.language_v3("en-US") == "en" and values.language_v3("english") is None
    assert values.location("-73.7,40.9,-71.7,42.1")["bbox"].startswith("POLYGON((-73.7 40.9")
    assert values.place({"prefLabel": "Hartford"}) == "Hartford"
