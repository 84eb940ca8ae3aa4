"""/healthz reports each dependency; with Redis down, sign-in and public verification keep
working on per-process limits and the health check says `degraded`."""

import shutil
import socket
import subprocess
import time

import pytest

from partyschool.app.factory import create_app
from tests.app.isolated import run_app
from tests.factories import PASSWORD, make_user

REQUESTS = """
out["token"] = client.post(
    "/api/v1/auth/token", json={"username": "redisless", "password": sys.argv[2]}
).status_code
out["verify"] = client.get("/api/v1/certificates/NO-SUCH-SERIAL").status_code
health = client.get("/healthz")
out["health_status"], out["health"] = health.status_code, health.get_json()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(database_url: str, port: int) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "health-test",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
    }


def requests_with(database_url: str, port: int) -> dict:
    code = REQUESTS.replace("sys.argv[2]", repr(PASSWORD))
    return run_app(code, config(database_url, port))


def test_healthy_site_keeps_its_stable_answer(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["checks"] == {"database": "ok"}
    assert body["database"] in ("sqlite", "postgresql")


def test_redis_down_degrades_but_sign_in_and_verification_work(session, database_url):
    make_user(session, username="redisless")
    session.commit()
    out = requests_with(database_url, free_port())  # nothing listens there
    assert out["token"] == 201 and out["verify"] == 200
    assert out["health_status"] == 200
    assert out["health"]["status"] == "degraded"
    assert out["health"]["checks"] == {"database": "ok", "redis": "unreachable"}


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_redis_up_is_reported_ok(session, database_url, tmp_path):
    make_user(session, username="redisless")
    session.commit()
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        out = requests_with(database_url, port)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert out["token"] == 201 and out["health"]["status"] == "ok"
    assert out["health"]["checks"] == {"database": "ok", "redis": "ok"}


def test_a_database_that_cannot_be_reached_is_a_503_to_retry_not_a_crash():
    """PostgreSQL down or restarting: every request says so in Chinese with a time to wait
    (the exam page keeps an answer until the server acknowledges it), and /healthz says
    which dependency failed."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x",
            "SECRET_KEY": "health-test",
        }
    )
    client = app.test_client()
    api = client.get("/api/v1/exams", headers={"Authorization": "Bearer 未知"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json() == {
        "error": "database_unavailable",
        "message": "数据库暂时无法连接，请稍后重试",
    }
    page = client.get("/verify/NO-SUCH-SERIAL")
    assert page.status_code == 503 and "数据库暂时无法连接" in page.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
