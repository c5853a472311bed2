"""Query-string parameters shared by list endpoints."""

from __future__ import annotations

from flask import current_app, request

from catalog.errors import ServiceError


def page_params() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1..API_PER_PAGE_MAX); bad values are a 400."""
    errors: dict[str, list] = {}
    page = _positive_int("page", 1, errors)
    per_page = _positive_int("per_page", current_app.config["API_PER_PAGE_DEFAULT"], errors)
    maximum = current_app.config["API_PER_PAGE_MAX"]
    if per_page > maximum:
        errors["per_page"] = [f"Must be at most {maximum}."]
    if page > 10_000:
        errors["page"] = ["Must be at most 10000; narrow the search instead."]
    if errors:
        raise ServiceError("Bad query parameters.", errors)
    return page, per_page


def _positive_int(name: str, default: int, errors: dict[str, list]) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = ["Must be a whole number."]
        return default
    if value < 1:
        errors[name] = ["Must be 1 or more."]
        return default
    return value
