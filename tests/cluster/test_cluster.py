"""The deploy kit on loopback: PostgreSQL, Redis, two gunicorn servers started as the kit's
systemd units start them (with its gunicorn config and environment file), both servers' job
loops, and nginx with the kit's site file over TLS.

It shows: a session made through one server works through the other; ten wrong passwords
from one client address do not lock out another (X-Forwarded-For through nginx, limits in
Redis shared by both servers); a certificate issued through one server verifies on the other
with the same key and the configured public address; an attachment uploaded through one
downloads through the other (shared UPLOAD_FOLDER); static files come from nginx; Redis
killed, sign-in and verification still work and /healthz says degraded; an exam taken
through nginx while one server is killed loses no acknowledged answer; the jobs ran once.

`make test-cluster` runs it (on a throwaway PostgreSQL of scripts/with-postgres); elsewhere
it is skipped.
"""

import importlib.util
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from courses.models import Attachment
from exams.models import AttemptStatus
from partyschool.accounts.models import Role
from partyschool.app.jobs import JobLease
from partyschool.certificates import signing
from partyschool.certificates.models import Certificate
from tests.cluster import kit
from tests.factories import (
    PASSWORD,
    make_completed_enrolment,
    make_ended_class,
    make_user,
    reread,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("PARTYSCHOOL_CLUSTER_TEST") != "1"
    or not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the cluster test runs under `make test-cluster` (PostgreSQL, Redis, nginx)",
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TRAINEES = 8
QUESTIONS = 20


def bench_kit():
    if "bench_server" not in sys.modules:
        path = kit.ROOT / "bench" / "_server.py"
        spec = importlib.util.spec_from_file_location("bench_server", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_server"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_server"]


class Cluster:
    """Everything started, and how to reach it."""

    def __init__(self, work, database_url):
        self.work = work
        (work / "log").mkdir()
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (work / "temp" / kind).mkdir(parents=True)
        self.processes = kit.Processes(work / "log")
        self.redis_port, self.http_port, self.https_port = (kit.free_port() for _ in range(3))
        self.ports = [kit.free_port(), kit.free_port()]
        self.uploads = work / "shared" / "uploads"
        self.uploads.mkdir(parents=True)
        self.key = Ed25519PrivateKey.generate()
        key_file = work / "certificate_signing_key.pem"
        key_file.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.public_base_url = f"https://{kit.HOST}:{self.https_port}"
        self.env = {
            **kit.environment_example(),
            "DATABASE_URL": database_url,
            "SECRET_KEY": kit.random_secret(),
            "PUBLIC_BASE_URL": self.public_base_url,
            "CERT_SIGNING_KEY_FILE": str(key_file),
            "RATELIMIT_STORAGE_URI": f"redis://{kit.HOST}:{self.redis_port}/0",
            "UPLOAD_FOLDER": str(self.uploads),
            "WEB_WORKERS": "2",
        }
        self.servers = {}

    def start(self):
        self.redis = self.processes.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                kit.HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work),
            ],
        )
        kit.wait_for_port(self.redis_port)
        for name, port in zip("ab", self.ports, strict=True):
            env = {**self.env, "PARTYSCHOOL_BIND": f"{kit.HOST}:{port}"}
            self.servers[name] = self.processes.start(
                f"web-{name}", kit.unit_command("partyschool-web.service"), env
            )
            self.processes.start(f"jobs-{name}", kit.unit_command("partyschool-jobs.service"), env)
        for name, port in zip("ab", self.ports, strict=True):
            self.wait_healthy(name, port)
        kit.self_signed_certificate(self.work)
        (self.work / "partyschool.conf").write_text(
            kit.nginx_site(self.ports, self.http_port, self.https_port, self.work)
        )
        (self.work / "nginx.conf").write_text(kit.nginx_main(self.work))
        nginx = ["nginx", "-c", str(self.work / "nginx.conf"), "-p", str(self.work)]
        checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.processes.start("nginx", [*nginx, "-g", "daemon off;"])
        kit.wait_for_port(self.https_port)

    def wait_healthy(self, name, port, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.servers[name].poll() is not None:
                raise AssertionError(self.processes.log(f"web-{name}")[-3000:])
            try:
                if kit.Browser(port).call("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server {name} not healthy: {self.processes.log(f'web-{name}')}")

    def logged_clients(self, path: str, expected: set[str], timeout: float = 5) -> set[str]:
        """The client addresses of nginx's access log lines for a path (nginx writes a line
        just after it answers, so wait a little for the last ones)."""
        log = self.work / "log" / "partyschool.access.log"
        deadline = time.monotonic() + timeout
        while True:
            lines = log.read_text().splitlines()
            clients = {line.split(" ")[0] for line in lines if f" {path} " in line}
            if expected <= clients or time.monotonic() > deadline:
                return clients
            time.sleep(0.05)

    def direct(self, name) -> kit.Browser:
        return kit.Browser(self.ports["ab".index(name)])

    def through_nginx(self, source=kit.HOST, token=None) -> kit.Browser:
        return kit.Browser(self.https_port, tls=True, source=source, token=token)


@pytest.fixture
def cluster(app, tmp_path):
    for program in ("redis-server", "nginx", "openssl"):
        assert shutil.which(program), f"{program} is missing: scripts/system-deps.sh installs it"
    cluster = Cluster(tmp_path, os.environ["TEST_DATABASE_URL"])
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.processes.stop_all()


def test_the_cluster(cluster, session, school):
    training_class = make_ended_class(session, school)
    session.commit()
    started = time.monotonic()
    instructor = make_user(session, Role.INSTRUCTOR, school, username="inst")
    lesson_id = training_class.course.lessons[0].id
    session.commit()
    assert instructor.id

    # A session made through one server works through the other.
    organizer = cluster.direct("a")
    assert organizer.login("org", PASSWORD).status == 302
    organizer.port = cluster.ports[1]
    home = organizer.call("GET", "/")
    assert home.status == 200 and "org" in home.text

    # Plain http is sent to https; static files come from nginx, never from gunicorn.
    redirect = kit.Browser(cluster.http_port).call("GET", "/login")
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://{kit.HOST}/login"
    css = cluster.through_nginx().call("GET", "/static/css/site.css")
    assert css.status == 200 and css.headers["X-Content-Type-Options"] == "nosniff"

    # Ten wrong passwords from one address (whatever X-Forwarded-For it forges), spread by
    # nginx over both servers, exhaust that address only.
    attacker = cluster.through_nginx(source="127.0.0.2")
    codes = [
        attacker.call(
            "POST",
            "/api/v1/auth/token",
            {"username": "ghost", "password": "guess"},
            {"X-Forwarded-For": f"10.1.0.{i}"},
        ).status
        for i in range(12)
    ]
    assert codes == [401] * 10 + [429] * 2
    victim = cluster.through_nginx(source="127.0.0.3")
    assert (
        victim.call("POST", "/api/v1/auth/token", {"username": "org", "password": PASSWORD}).status
        == 201
    )
    assert {"127.0.0.2", "127.0.0.3"} <= cluster.logged_clients(
        "/api/v1/auth/token", {"127.0.0.2", "127.0.0.3"}
    )

    # A certificate issued through server a verifies on server b, with the configured key
    # and public address.
    enrolment = make_completed_enrolment(session, training_class)
    session.commit()
    organizer.port = cluster.ports[0]
    assert organizer.form(f"/certificates/enrolments/{enrolment.id}/issue", {}).status == 302
    certificate = reread(session).scalar(
        select(Certificate).where(Certificate.enrolment_id == enrolment.id)
    )
    assert certificate is not None
    public_key = cluster.direct("a").call("GET", "/api/v1/certificates/public-key").json()
    verification = cluster.direct("b").call("GET", f"/api/v1/certificates/{certificate.serial}")
    document = verification.json()
    assert document["status"] == "valid"
    expected_key = cluster.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key["public_key"] == expected_key.decode()
    assert signing.verify(document, expected_key)
    organizer.port = cluster.ports[1]
    pdf = organizer.call("GET", f"/certificates/{certificate.id}/pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    (cluster.work / "certificate.pdf").write_bytes(pdf.body)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            str(cluster.work / "certificate.pdf"),
            str(cluster.work / "certificate"),
        ],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(cluster.work / "certificate.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert scanned.startswith(f"{cluster.public_base_url}/verify/"), scanned
    page = cluster.through_nginx().call("GET", scanned.removeprefix(cluster.public_base_url))
    assert page.status == 200 and certificate.serial in page.text

    # An attachment uploaded through server a downloads through server b.
    teacher = cluster.direct("a")
    assert teacher.login("inst", PASSWORD).status == 302
    uploaded = teacher.upload(f"/courses/lessons/{lesson_id}/attachments", "file", "讲义.pdf", PDF)
    assert uploaded.status == 302, uploaded.text[:500]
    attachment = reread(session).scalar(select(Attachment).where(Attachment.lesson_id == lesson_id))
    assert (cluster.uploads / attachment.stored_name).exists() or list(cluster.uploads.rglob("*"))
    teacher.port = cluster.ports[1]
    download = teacher.call("GET", f"/attachments/{attachment.id}")
    assert download.status == 200 and download.body == PDF

    # Redis killed: sign-in and verification still work; /healthz says degraded.
    kit.Processes.kill(cluster.redis)
    for _ in range(4):  # both servers, by nginx's round robin
        health = cluster.through_nginx().call("GET", "/healthz")
        assert health.status == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["checks"] == {"database": "ok", "redis": "unreachable"}
    token = cluster.through_nginx(source="127.0.0.4").call(
        "POST", "/api/v1/auth/token", {"username": "org", "password": PASSWORD}
    )
    assert token.status == 201
    again = cluster.through_nginx().call("GET", f"/api/v1/certificates/{certificate.serial}")
    assert again.status == 200 and again.json()["status"] == "valid"
    # Without Redis each process counts addresses alone, but the account lock is in the
    # database: ten wrong passwords from ten addresses, over both servers, lock the account.
    for i in range(10):
        guess = cluster.through_nginx(source=f"127.0.1.{i + 1}").call(
            "POST", "/api/v1/auth/token", {"username": "inst", "password": "not-it"}
        )
        assert guess.status == 401
    right = cluster.through_nginx(source="127.0.2.1").call(
        "POST", "/api/v1/auth/token", {"username": "inst", "password": PASSWORD}
    )
    assert right.status == 401

    # An exam taken through nginx while server a is killed loses no acknowledged answer.
    bench = bench_kit()
    setup = bench.populate_exam(session, TRAINEES, QUESTIONS)
    exam = Exam(cluster, setup, bench)
    threads = [threading.Thread(target=exam.take, args=(i,)) for i in range(TRAINEES)]
    for thread in threads:
        thread.start()
    exam.wait_for(TRAINEES * QUESTIONS // 3, timeout=60)
    assert not exam.failures, exam.failures
    kit.Processes.kill(cluster.servers["a"])
    killed_at = exam.saved
    for thread in threads:
        thread.join(timeout=120)
    assert not exam.failures, exam.failures
    assert killed_at < TRAINEES * QUESTIONS
    assert len(exam.acknowledged) == TRAINEES * QUESTIONS
    found = bench.stored(reread(session), setup.exam_id)
    assert bench.lost(exam.acknowledged, found) == []
    assert len(found.attempts) == TRAINEES
    assert {a.status for a in found.attempts.values()} == {AttemptStatus.SUBMITTED}

    # Both job loops ran beside the servers; each job ran, and not twice at once.
    leases = {lease.name: lease for lease in reread(session).scalars(select(JobLease))}
    assert leases["finalize-overdue"].last_result.startswith("finalized")
    assert leases["refresh-eligibility"].last_result.startswith("re-evaluated")
    jobs_logs = cluster.processes.log("jobs-a") + cluster.processes.log("jobs-b")
    assert jobs_logs.count("ran refresh-eligibility") == 1, jobs_logs
    gunicorn_logs = cluster.processes.log("web-a") + cluster.processes.log("web-b")
    assert "/static/" not in gunicorn_logs
    # gunicorn's access log names the client nginx saw, not nginx, nor what the client forged.
    token_lines = [line for line in gunicorn_logs.splitlines() if "/api/v1/auth/token" in line]
    assert any(line.startswith('127.0.0.2 "POST') for line in token_lines), token_lines
    assert not any(line.startswith("10.1.0.") for line in token_lines)
    print(f"cluster scenarios took {time.monotonic() - started:.1f} s")


class Exam:
    """Trainees answering through nginx, retrying as the exam page does."""

    def __init__(self, cluster, setup, bench):
        self.cluster, self.setup, self.bench = cluster, setup, bench
        self.progress = threading.Condition()
        self.saved = 0
        self.acknowledged = {}
        self.failures = []

    def expect(self, browser, method, path, body=None):
        reply = browser.call(method, path, body, patience=30)
        if reply.status >= 300:
            raise AssertionError(f"{method} {path}: {reply.status} {reply.text[:300]}")
        return reply.json()

    def take(self, index):
        rng = random.Random(index)
        browser = self.cluster.through_nginx(token=self.setup.tokens[index])
        try:
            data = self.expect(browser, "POST", f"/api/v1/exams/{self.setup.exam_id}/attempts")
            for question in data["questions"]:
                value = self.bench.a_response(question, rng)
                path = f"/api/v1/attempts/{data['attempt_id']}/answers/{question['question_id']}"
                self.expect(browser, "PUT", path, {"response": value})
                with self.progress:
                    self.acknowledged[(data["attempt_id"], question["question_id"])] = value
                    self.saved += 1
                    self.progress.notify_all()
            self.expect(browser, "POST", f"/api/v1/attempts/{data['attempt_id']}/submit")
        except Exception as failure:  # noqa: BLE001 - reported by the test
            with self.progress:
                self.failures.append(f"trainee {index}: {failure!r}")
                self.progress.notify_all()

    def wait_for(self, saves, timeout):
        with self.progress:
            self.progress.wait_for(lambda: self.saved >= saves or self.failures, timeout)
