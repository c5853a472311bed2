"""Dates and times as real calendar values within the years the catalog accepts.

The DCAT-US patterns check the form of ``modified``, ``issued`` and ``temporal``; this checks that
each date or date-time in them exists (no 30 February, no year 0) and stays between
``MIN_YEAR`` and ``MAX_YEAR`` once converted to UTC (``9999-12-31T23:59:59-12:00`` would be year
10000). Durations (``P1Y``, ``R/P1W``) are not dates and pass.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from typing import Any

import isodate
from marshmallow import ValidationError, fields

MIN_YEAR = 1000
MAX_YEAR = 2999
_ORDINAL = re.compile(r"^[+-]?(\d{4})-?(\d{3})$")


def calendar_problem(text: str) -> str | None:
    """Why an ISO 8601 date, date-time or interval is not a real, sane calendar value, or None."""
    for part in text.split("/"):
        if not part or part[0] in "RP":
            continue
        try:
            when = _parse(part)
        except (ValueError, OverflowError, isodate.ISO8601Error):
            return f"{part} is not a real calendar date or time."
        if not MIN_YEAR <= when.year <= MAX_YEAR:
            return f"{part} is outside the years {MIN_YEAR} to {MAX_YEAR}."
    return None


def _parse(part: str) -> date | datetime:
    if "T" in part or " " in part:
        value = isodate.parse_datetime(part.replace(" ", "T"))
        return value.astimezone(UTC) if value.tzinfo is not None else value
    ordinal = _ORDINAL.match(part)
    if ordinal and int(ordinal[2]) > (366 if calendar.isleap(int(ordinal[1])) else 365):
        raise ValueError("day of year out of range")
    return isodate.parse_date(part)


def check_day(value: date | None) -> str | None:
    """Why a parsed date is out of range, or None."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        return f"Must be between the years {MIN_YEAR} and {MAX_YEAR}."
    return None


class SaneDate(fields.Date):
    """A calendar date between ``MIN_YEAR`` and ``MAX_YEAR``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = check_day(day)
        if problem:
            raise ValidationError(problem)
        return day


class SaneDateTime(fields.DateTime):
    """A date-time whose UTC value falls between ``MIN_YEAR`` and ``MAX_YEAR``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        when = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = when.astimezone(UTC) if when.tzinfo is not None else when
        except OverflowError:
            raise ValidationError(f"Must be between the years {MIN_YEAR} and {MAX_YEAR}.") from None
        problem = check_day(utc)
        if problem:
            raise ValidationError(problem)
        return when


def sane_date(_form: Any, field: Any) -> None:
    """A WTForms validator: the date a form field parsed is within the accepted years."""
    from wtforms.validators import ValidationError as FormValidationError

    problem = check_day(field.data)
    if problem:
        raise FormValidationError(problem)
