"""Many issuers at once: the database holds at most one valid certificate per enrolment, and
each loser is told it is already issued (no error page, no second certificate)."""

import threading

from tests.certificates.conftest import assert_records_agree, valid_certificates
from tests.conftest import Client
from tests.factories import make_completed_enrolment

ISSUERS = 8


def test_parallel_issue_requests_make_exactly_one_valid_certificate(app, session, ended_class):
    """Real requests in threads, each with its own session and connection. On PostgreSQL
    they truly overlap (the partial unique index decides); on SQLite writers queue."""
    enrolment = make_completed_enrolment(session, ended_class)
    clients = [Client(app) for _ in range(ISSUERS)]
    for client in clients:
        assert client.login("org").status_code == 302
    tokens = [client.csrf_token("/") for client in clients]
    start = threading.Barrier(ISSUERS)
    answers: list[tuple[int, str]] = []

    def issue(client: Client, token: str) -> None:
        start.wait()
        response = client.raw.post(
            f"/certificates/enrolments/{enrolment.id}/issue",
            data={"csrf_token": token},
            follow_redirects=True,
        )
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [
        threading.Thread(target=issue, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    valid = valid_certificates(session, enrolment)
    assert len(valid) == 1
    assert [status for status, _ in answers] == [200] * ISSUERS
    serial = valid[0].serial
    assert sum(f"已颁发证书 {serial}" in text for _, text in answers) == ISSUERS
    assert sum("不能颁发证书" in text for _, text in answers) == ISSUERS - 1
    assert_records_agree(session)
