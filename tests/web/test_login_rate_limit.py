import pytest

from catalog import create_app
from catalog.extensions import limiter
from tests.web.test_steward_forms import csrf_from


@pytest.fixture
def limited_client(app):
    """An app like the test app but with rate limits on (they are off for the rest of the suite)."""
    limited = create_app({**app.config, "ENV_NAME": "testing", "RATELIMIT_ENABLED": True})
    limiter.reset()
    yield limited.test_client()
    limiter.reset()
    limiter.enabled = False
    limited.extensions["catalog_db"].dispose()


def test_repeated_sign_in_attempts_are_slowed_down(limited_client, make_user):
    make_user("steward", email="pat@dph.ct.gov")
    token = csrf_from(limited_client.get("/login").text)
    statuses = [
        limited_client.post(
            "/login",
            data={"email": "pat@dph.ct.gov", "password": f"guess {n}", "csrf_token": token},
        ).status_code
        for n in range(12)
    ]
    assert statuses == [401] * 10 + [429, 429]
    assert limited_client.get("/login").status_code == 200  # reading the form is not limited
