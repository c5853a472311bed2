"""Helpers for the plan tests: sign in through the real form, freeze the plan clock."""

from __future__ import annotations

import re
from datetime import date

import pytest

from catalog.services import plan as plan_service

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def login(client):
    def _login(user, password: str = "correct horse battery"):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def freeze_today(monkeypatch):
    """``freeze_today(date(2018, 8, 20))``: the plan's clock says that day."""

    def _freeze(day: date) -> None:
        monkeypatch.setattr(plan_service.CLOCK, "today", lambda: day)

    return _freeze
