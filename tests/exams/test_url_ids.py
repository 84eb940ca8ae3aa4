"""Ids past the database's integer range answer 404 on every route, never 500."""

import re

import pytest

from partyschool.accounts.models import Role
from tests.conftest import Client
from tests.factories import make_user

HUGE = 2**63


def int_routes(app):
    """Every (method, path) whose rule has an int parameter, with each filled in too large."""
    for rule in app.url_map.iter_rules():
        if "int" not in {conv for conv, _ in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)}:
            continue
        path = re.sub(r"<(?:int:)(\w+)>", str(HUGE), rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.mark.parametrize("role", [Role.BRANCH_ADMIN, Role.INSTRUCTOR, Role.ACTIVIST])
def test_an_id_too_large_is_not_found(app, session, school, role):
    make_user(session, role, school, username="who")
    session.commit()
    client = Client(app)
    client.login("who")
    token = client.csrf_token("/")
    routes = list(int_routes(app))
    assert len(routes) > 50
    failures = []
    for method, path in routes:
        response = client.open(
            path, method=method, json={}, headers={"X-CSRFToken": token}, data=None
        )
        if response.status_code != 404:
            failures.append((method, path, response.status_code))
    assert failures == []
