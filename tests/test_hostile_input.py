"""Hostile input found when the platform was tried from outside: numbers too large for any row
in query strings, huge form bodies, deeply nested JSON files, pages past the end."""

import io

import pytest

from partyschool.accounts.models import Role
from tests.factories import make_candidate, make_user, school_level

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/candidates/?page={HUGE}",
        f"/candidates/?college_id={HUGE}",
        f"/candidates/?building_id={HUGE}",
        f"/candidates/export.xlsx?college_id={HUGE}",
        f"/api/v1/candidates?page={HUGE}&building_id={HUGE}",
        f"/api/v1/certificates?page={HUGE}",
    ],
)
def test_numbers_no_row_could_hold_in_a_query_string_are_ignored(client, school, path):
    client.login("org")
    assert client.get(path).status_code == 200


def test_a_page_past_the_end_shows_the_last(client, token, session, school):
    for _ in range(3):
        make_candidate(session, school)
    session.commit()
    client.login("org")
    assert "共 3 人，第 1/1 页" in client.get("/candidates/?page=7").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token('org')}"}
    body = client.raw.get("/api/v1/candidates?page=7", headers=headers).get_json()
    assert (body["page"], body["pages"], len(body["items"])) == (1, 1, 3)


def test_a_huge_body_is_refused_by_its_length_before_it_is_read(client):
    huge = {"username": "x", "password": "党" * 1_000_000}
    response = client.raw.post("/api/v1/auth/token", json=huge)
    assert response.status_code == 413  # read and parsed, it would be a 422
    assert "提交的内容过大" in response.get_json()["message"]
    page = client.raw.post("/login", data=huge)
    assert page.status_code == 413 and "提交的内容过大" in page.get_data(as_text=True)


def test_a_deeply_nested_rule_set_file_is_refused(app, client, session, school):
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    client.login("top")
    nested = ("[" * 100_000 + "]" * 100_000).encode()
    page = client.post(
        "/candidates/rules",
        {"file": (io.BytesIO(nested), "rules.json"), "effective_from": "2030-01-01", "reason": "x"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "规则集文件不是有效的 UTF-8 编码 JSON 文件" in page.get_data(as_text=True)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_json_does_not_have_are_refused(client, constant):
    body = '{"username": "x", "password": ' + constant + "}"
    response = client.raw.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"] == "请求体必须是 JSON 对象"
