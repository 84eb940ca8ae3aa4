"""Schemathesis over /api/openapi.json: generated calls of every operation on the demo data,
as the school admin and as the demo trainee, never answer a server error. Bounded: a few
examples per operation and identity, and a time budget for the whole walk."""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 15
BUDGET_SECONDS = 120


@pytest.mark.parametrize("username", ["admin", "activist"])
def test_no_operation_answers_a_server_error(app, demo_data, token, username):
    headers = {"Authorization": f"Bearer {token(username, 'partyschool-demo')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    started, failures, walked = time.monotonic(), [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        walked += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code}"
            )

        try:
            call()
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
        assert time.monotonic() - started < BUDGET_SECONDS, "the walk took too long"
    assert walked > 10
    assert failures == []
