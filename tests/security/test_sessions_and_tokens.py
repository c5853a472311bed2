"""Sessions and tokens that end: a captured session cookie dies at sign-out, at a password change
and at deactivation; tokens expire, can be revoked per user from the CLI, and their owner sees
when each was last used."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from catalog import create_app
from catalog.db import db
from catalog.models import ApiToken
from catalog.models._common import utcnow
from tests.web.test_steward_forms import PASSWORD, csrf_from, sign_in

EMAIL = "pat@dph.ct.gov"
NEW_PASSWORD = "quiet ferns under moonlit granite"


def _signed_in(client) -> bool:
    """The session is live: a page for signed-in users answers instead of redirecting."""
    return client.get("/reviews").status_code == 200


def _copy_cookies(source, target) -> None:
    """What an attacker who captured the cookie has: the same cookies in another client."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_captured_session_cookie_dies_at_sign_out(app, make_user) -> None:
    make_user("steward", email=EMAIL)
    victim, thief = app.test_client(), app.test_client()
    assert sign_in(victim, EMAIL).status_code == 302
    _copy_cookies(victim, thief)
    assert _signed_in(thief)
    token = csrf_from(victim.get("/reviews").text)
    assert victim.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(thief)
    assert not _signed_in(victim)


def test_a_password_change_ends_every_other_session(app, make_user) -> None:
    make_user("steward", email=EMAIL)
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, EMAIL)
    sign_in(laptop, EMAIL)
    page = laptop.get("/account/").text
    response = laptop.post(
        "/account/password",
        data={"csrf_token": csrf_from(page), "current_password": PASSWORD,
              "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302
    assert _signed_in(laptop)  # the session that changed it goes on
    assert not _signed_in(phone)
    assert sign_in(app.test_client(), EMAIL, NEW_PASSWORD).status_code == 302


def test_a_weak_new_password_is_refused_on_the_account_page(app, make_user) -> None:
    make_user("steward", email=EMAIL)
    client = app.test_client()
    sign_in(client, EMAIL)
    page = client.get("/account/").text
    response = client.post(
        "/account/password",
        data={"csrf_token": csrf_from(page), "current_password": PASSWORD,
              "new_password": "a" * 12, "confirm": "a" * 12},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Too easy to guess" in response.text
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 302


def test_users_deactivate_ends_sessions_and_tokens(app, runner, make_user, token_for) -> None:
    user = make_user("steward", email=EMAIL)
    token = token_for(user)
    client = app.test_client()
    sign_in(client, EMAIL)
    assert _signed_in(client)
    result = runner.invoke(args=["users", "deactivate", EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert "sessions ended, 1 token(s) revoked" in result.output
    assert not _signed_in(client)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/progress-reports", headers=headers).status_code == 401
    assert sign_in(app.test_client(), EMAIL).status_code == 401
    unknown = runner.invoke(args=["users", "deactivate", "nobody@ct.gov"])
    assert unknown.exit_code != 0 and "No user with email" in unknown.output


def test_users_revoke_tokens(app, runner, make_user, token_for) -> None:
    user = make_user("steward", email=EMAIL)
    tokens = [token_for(user), token_for(user)]
    other = token_for(make_user("steward", email="lee@dph.ct.gov"))
    result = runner.invoke(args=["users", "revoke-tokens", EMAIL])
    assert result.exit_code == 0 and "Revoked 2 token(s)" in result.output
    client = app.test_client()
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/progress-reports", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {other}"}
    assert client.get("/api/v1/progress-reports", headers=headers).status_code == 200


def test_tokens_expire(app, runner, make_user) -> None:
    make_user("steward", email=EMAIL)
    result = runner.invoke(args=["users", "token", EMAIL, "--days", "30"])
    assert result.exit_code == 0 and "expires in 30 days" in result.output
    token = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/progress-reports", headers=headers).status_code == 200
    with app.app_context():
        record = db.session.scalar(select(ApiToken))
        assert timedelta(days=29) < record.expires_at - utcnow() <= timedelta(days=30)
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/api/v1/progress-reports", headers=headers).status_code == 401


def test_tokens_expire_by_default_after_the_configured_days(app, runner, make_user) -> None:
    make_user("steward", email=EMAIL)
    runner.invoke(args=["users", "token", EMAIL])
    with app.app_context():
        record = db.session.scalar(select(ApiToken))
        days = app.config["API_TOKEN_DAYS"]
        assert days > 0
        assert record.expires_at - utcnow() > timedelta(days=days - 1)


def test_the_owner_sees_when_each_token_was_last_used_and_revokes_one(
    app, make_user, token_for
) -> None:
    user = make_user("steward", email=EMAIL)
    used, unused = token_for(user), token_for(user)
    client = app.test_client()
    client.get("/api/v1/progress-reports", headers={"Authorization": f"Bearer {used}"})
    sign_in(client, EMAIL)
    page = client.get("/account/").text
    rows = {
        prefix: row
        for row in re.findall(r"<tr>.*?</tr>", page, re.S)
        if (prefix := next((t[:12] for t in (used, unused) if t[:12] in row), None))
    }
    today = utcnow().strftime("%Y-%m-%d")
    assert today in rows[used[:12]].split("</td>")[1]  # last used today
    assert "never" in rows[unused[:12]].split("</td>")[1]
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == unused[:12]))
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    headers = {"Authorization": f"Bearer {unused}"}
    assert client.get("/api/v1/progress-reports", headers=headers).status_code == 401


def test_no_one_else_revokes_a_token(app, make_user, token_for) -> None:
    owner = make_user("steward", email=EMAIL)
    token = token_for(owner)
    make_user("steward", email="lee@dph.ct.gov")
    client = app.test_client()
    sign_in(client, "lee@dph.ct.gov")
    page = client.get("/account/").text
    assert token[:12] not in page
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 404
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/progress-reports", headers=headers).status_code == 200


def test_a_session_ends_after_its_lifetime(app, make_user) -> None:
    make_user("steward", email=EMAIL)
    short = create_app({**app.config, "ENV_NAME": "testing",
                        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=1)})  # fmt: skip
    try:
        client = short.test_client()
        assert sign_in(client, EMAIL).status_code == 302
        assert _signed_in(client)
        time.sleep(2.1)
        assert not _signed_in(client)
    finally:
        short.extensions["catalog_db"].dispose()


def test_the_session_lifetime_is_hours_not_weeks(app) -> None:
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=24)
