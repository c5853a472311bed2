"""Sign a Flask test client in through /login, as a person would (sessions are checked on the
server, so a forged session cookie is only a redirect to the sign-in page)."""

from __future__ import annotations

import re


def sign_in(client, email: str, password: str) -> None:
    page = client.get("/login").text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password}
    if match:  # CSRF is on unless the benchmark's app turned it off
        data["csrf_token"] = match.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"sign-in as {email} failed: {response.status_code}"
