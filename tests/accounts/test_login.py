"""Signing in and out, safe redirects, rate limits, sessions ending."""

import pytest

from partyschool.accounts.models import Role
from tests.factories import make_user


@pytest.fixture
def activist(session):
    user = make_user(session, Role.ACTIVIST, username="zhangsan", display_name="张三")
    session.commit()
    return user


def test_login_shows_home_with_name(client, activist):
    response = client.login("zhangsan")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "张三" in page and "我的学习" in page


def test_wrong_password_is_refused_in_chinese(client, activist):
    response = client.login("zhangsan", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, activist):
    response = client.raw.post("/login", data={"username": "zhangsan", "password": "x"})
    assert response.status_code == 400


def test_disabled_account_cannot_login(client, session, activist):
    activist.is_disabled = True
    session.commit()
    client.login("zhangsan")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account/password", "/account/password"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_this_site(client, activist, target, expected):
    data = {"username": "zhangsan", "password": "correct-horse-42"}
    response = client.post(f"/login?next={target}", data)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_protected_page_redirects_to_login_with_next(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_is_rate_limited(app, client, activist):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.login("zhangsan", "bad").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429


def test_session_cookie_is_httponly_and_samesite(client, activist):
    response = client.login("zhangsan")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_other_sessions_and_tokens(app, client, activist, token):
    other = type(client)(app)
    other.login("zhangsan")
    bearer = token("zhangsan")
    client.login("zhangsan")
    client.post("/logout")
    assert client.get("/").status_code == 302
    assert other.get("/").status_code == 302
    me = client.raw.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    assert me.status_code == 401


def test_password_change_keeps_this_session_and_ends_others(app, client, activist, token):
    other = type(client)(app)
    other.login("zhangsan")
    bearer = token("zhangsan")
    client.login("zhangsan")
    response = client.post(
        "/account/password",
        {"current": "correct-horse-42", "new": "new-password-99", "confirm": "new-password-99"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    me = client.raw.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    assert me.status_code == 401
    fresh = type(client)(app)
    assert fresh.login("zhangsan", "new-password-99").status_code == 302


def test_password_change_needs_current_password(client, activist):
    client.login("zhangsan")
    response = client.post(
        "/account/password",
        {"current": "nope", "new": "new-password-99", "confirm": "new-password-99"},
    )
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_account_without_password_cannot_sign_in_until_one_is_set(client, session):
    from partyschool.accounts import services

    user = make_user(session, Role.ACTIVIST, username="imported", password=None)
    session.commit()
    assert user.password_hash == services.UNUSABLE_PASSWORD
    for attempt in ("", "!unusable", "correct-horse-42"):
        assert client.login("imported", attempt).status_code == 200
    services.set_password(user, "now-usable-1")
    session.commit()
    assert client.login("imported", "now-usable-1").status_code == 302
