"""Behind a configured number of proxies, limits see the client's address, not the proxy's;
without one configured, X-Forwarded-For is not believed."""

import pytest
from werkzeug.test import EnvironBuilder

from partyschool.app import hardening
from tests.factories import PASSWORD, make_user


@pytest.fixture
def tight_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")


@pytest.fixture
def behind_one_proxy(app, monkeypatch, tight_limit):
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    monkeypatch.setitem(app.config, "PROXY_COUNT", 1)
    hardening.trust_proxies(app)


def attempt(client, username, password, client_address):
    return client.raw.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},  # the proxy
    )


def test_one_clients_failures_do_not_lock_out_another_behind_the_proxy(
    client, session, behind_one_proxy
):
    make_user(session, username="careful")
    session.commit()
    codes = [attempt(client, "someone", "wrong", "203.0.113.7").status_code for _ in range(5)]
    assert codes[:3] == [401] * 3 and codes[3:] == [429, 429]
    assert attempt(client, "careful", PASSWORD, "198.51.100.2").status_code == 201


def test_the_scheme_and_client_come_from_the_proxy_headers(app, behind_one_proxy):
    """What the views see (request.remote_addr, request.scheme, url_for(_external=True))."""
    fix = app.wsgi_app
    seen = {}
    fix.app = lambda environ, start_response: seen.update(environ) or []
    environ = EnvironBuilder(
        "/",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    ).get_environ()
    fix(environ, lambda *args: None)
    assert seen["REMOTE_ADDR"] == "203.0.113.9" and seen["wsgi.url_scheme"] == "https"


def test_without_a_configured_proxy_forwarded_addresses_are_not_believed(
    client, session, tight_limit
):
    codes = [attempt(client, "someone", "wrong", f"203.0.113.{i}").status_code for i in range(5)]
    assert codes[3:] == [429, 429]
