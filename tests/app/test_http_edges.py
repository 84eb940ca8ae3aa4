"""Small HTTP manners: 405 says what is allowed; an anonymous API write is told to sign in."""


def test_trace_is_refused_with_an_allow_header(client):
    for path in ("/login", "/api/v1/me", "/healthz"):
        response = client.open(path, method="TRACE")
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"] and "TRACE" not in response.headers["Allow"]


def test_an_anonymous_api_post_answers_401_not_a_csrf_400(client):
    response = client.raw.post("/api/v1/classes/1/enrolments", json={})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_a_signed_in_page_post_without_csrf_token_is_still_refused(client, session):
    from tests.factories import make_user

    make_user(session, username="someone")
    session.commit()
    client.login("someone")
    assert client.raw.post("/logout").status_code == 400


def test_a_nul_in_a_username_is_a_failed_sign_in_not_a_crash(client):
    response = client.raw.post("/api/v1/auth/token", json={"username": "a\x00b", "password": "x"})
    assert response.status_code == 401
    page = client.post("/login", {"username": "a\x00b", "password": "x"})
    assert page.status_code == 200


def test_an_id_too_large_for_the_database_is_not_found_not_a_crash(client, token, session):
    from tests.factories import make_user

    make_user(session, username="bigid")
    session.commit()
    response = client.raw.post(
        f"/api/v1/classes/{2**31}/enrolments", headers={"Authorization": f"Bearer {token('bigid')}"}
    )
    assert response.status_code == 404
