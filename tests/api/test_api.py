"""Bearer tokens, /api/v1/me, errors in JSON, and the generated OpenAPI document."""

from datetime import timedelta

from openapi_spec_validator import validate

from partyschool.accounts.models import ApiToken, Role
from tests.factories import make_user


def test_token_then_me(client, session, token):
    user = make_user(session, Role.ORGANIZER, username="org1", display_name="李组织员")
    session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token('org1')}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "org1" and body["role"] == "organizer"
    assert body["party_school"]["code"] == user.party_school.code


def test_bad_credentials_get_401_in_chinese(client, session):
    make_user(session, username="org1")
    session.commit()
    response = client.raw.post("/api/v1/auth/token", json={"username": "org1", "password": "no"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_credentials", "message": "用户名或密码错误"}


def test_malformed_body_names_the_fields(client):
    response = client.raw.post("/api/v1/auth/token", json={"username": ""})
    assert response.status_code == 422
    fields = {f["field"] for f in response.get_json()["fields"]}
    assert fields == {"username", "password"}
    assert client.raw.post("/api/v1/auth/token", data="not json").status_code == 400


def test_unknown_or_forged_tokens_get_401(client):
    for header in ("Bearer nope", "Bearer ", "Basic abc", "token"):
        assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401


def test_expired_token_is_refused(client, session, token):
    make_user(session, username="org1")
    session.commit()
    bearer = token("org1")
    row = session.query(ApiToken).one()
    row.expires_at = row.expires_at - timedelta(days=2)
    session.commit()
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    )


def test_disabling_an_account_ends_its_tokens(client, session, token):
    user = make_user(session, username="org1")
    session.commit()
    bearer = token("org1")
    user.is_disabled = True
    session.commit()
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    )


def test_token_is_stored_only_as_a_digest(client, session, token):
    make_user(session, username="org1")
    session.commit()
    bearer = token("org1")
    assert bearer not in {row.digest for row in session.query(ApiToken)}


def test_api_404_is_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["message"] == "页面不存在"


def test_openapi_document_is_valid_and_lists_every_api_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    validate(document)
    api_rules = {
        r.rule.replace("<", "{").replace(">", "}").replace("{int:", "{")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/")
    }
    assert api_rules <= document["paths"].keys()
    me = document["paths"]["/api/v1/me"]["get"]
    assert (
        me["security"]
        and "MeOut" in me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert "requestBody" in document["paths"]["/api/v1/auth/token"]["post"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
