"""Helpers for the plan tests (their fixtures, such as ``login`` and ``freeze_today``, are in
tests/plan_fixtures.py)."""

from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)
