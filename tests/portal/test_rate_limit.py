"""Failed log-ins are limited per account and address, and per address; the limited attempt gets a 429 page."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.core.security import limiter
from tests.conftest import Auth, csrf_token

LIMIT_PER_ACCOUNT = 5  # "5 per minute" of the default LOGIN_RATE_LIMIT


def _fail(auth, username="applicant"):
    return auth.login(username, "wrong")


def test_the_sixth_failed_attempt_for_an_account_is_refused_even_with_the_right_password(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT):
        assert _fail(auth).status_code == 422
    response = auth.login("applicant")  # the right password no longer helps a guesser
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and "Wait a few minutes" in page
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert client.get("/cabinet").status_code == 302  # not signed in


def test_the_429_page_is_translated(client, auth):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    for _ in range(LIMIT_PER_ACCOUNT):
        _fail(auth)
    response = _fail(auth)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    # The page is the portal's own, in the reader's language (its new sentences go through gettext).
    assert '<html lang="ru">' in page and "Главная страница" in page


def test_the_username_is_counted_whatever_its_case_and_spaces(client, auth):
    for name in ("applicant", "Applicant", " APPLICANT ", "applicant", "applicanT"):
        _fail(auth, name)
    assert auth.login("applicant").status_code == 429


def test_another_account_from_the_same_address_may_still_sign_in(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT + 1):
        _fail(auth)
    assert auth.login("clerk").status_code == 302


def test_successful_log_ins_do_not_count(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT * 2):
        assert auth.login("applicant").status_code == 302
    assert _fail(auth).status_code == 422


def test_the_address_limit_covers_every_account_and_the_eds_log_in(app, client, auth):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "8 per minute"
    for n in range(8):
        assert _fail(auth, f"nobody-{n}").status_code == 422
    assert auth.login("clerk").status_code == 429
    token = csrf_token(client, "/login/eds")
    response = client.post("/login/eds", data={"csrf_token": token, "signed_text": "<x/>"})
    assert response.status_code == 429


def test_each_client_address_has_its_own_count(app, client, auth):
    for _ in range(LIMIT_PER_ACCOUNT):
        _fail(auth)
    assert auth.login("applicant").status_code == 429
    other = app.test_client()
    other.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.1.2.3")
    assert Auth(other).login("applicant").status_code == 302


def test_a_forged_log_in_is_refused_before_it_counts(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT + 3):
        assert client.post("/login", data={"username": "applicant", "password": "x"}).status_code == 400
    assert auth.login("applicant").status_code == 302


def test_the_log_in_page_itself_is_not_limited(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT + 1):
        _fail(auth)
    assert client.get("/login").status_code == 200


def test_tests_can_reset_the_counters(client, auth):
    for _ in range(LIMIT_PER_ACCOUNT):
        _fail(auth)
    assert auth.login("applicant").status_code == 429
    limiter.reset()
    assert auth.login("applicant").status_code == 302


def test_a_new_app_starts_with_fresh_counters(app, client, auth):
    """The conftest builds an app per test, and each app gets its own memory storage."""
    for _ in range(LIMIT_PER_ACCOUNT):
        _fail(auth)
    assert auth.login("applicant").status_code == 429
    fresh = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TRUST_STORE",
                                                        "UPLOADS_DIR", "PASSWORD_HASH_METHOD")}, "TESTING": True})
    other = fresh.test_client()
    assert Auth(other).login("applicant").status_code == 302


def test_the_limits_can_be_switched_off(app):
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TRUST_STORE", "UPLOADS_DIR",
                                         "PASSWORD_HASH_METHOD")}
    disabled = create_app({**config, "TESTING": True, "RATELIMIT_ENABLED": False})
    auth = Auth(disabled.test_client())
    for _ in range(LIMIT_PER_ACCOUNT * 2):
        assert _fail(auth).status_code == 422
    assert auth.login("applicant").status_code == 302
    # and the next app, with the default setting, limits again
    enabled = create_app({**config, "TESTING": True})
    auth = Auth(enabled.test_client())
    for _ in range(LIMIT_PER_ACCOUNT):
        _fail(auth)
    assert auth.login("applicant").status_code == 429


@pytest.mark.parametrize("setting", ["LOGIN_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT", "RATELIMIT_STORAGE_URI",
                                     "SESSION_IDLE_MINUTES", "RATELIMIT_ENABLED", "ACCOUNT_LOGIN_FAILURES",
                                     "VERIFY_RATE_LIMIT"])
def test_every_setting_is_documented_in_the_config_table(setting):
    import portal.config

    assert f"| {setting}" in portal.config.__doc__
