"""Benchmark: 1,000 trainees sending lesson heartbeats every 30 s to gunicorn on SQLite.

Builds a fresh database (`flask db upgrade`), one class with 1,000 approved trainees and a
bearer token each, starts gunicorn on 127.0.0.1, and replays the load in real time: every
trainee beats every INTERVAL seconds, the first beats spread evenly over one interval, for
BENCH_SECONDS. Every request's latency is measured. Prints one JSON line last: trainees,
errors, requests, rps, p50_ms, p95_ms, p99_ms, max_ms, and a check that no trainee was credited
more than the wall-clock time of the run.
"""

import http.client
import json
import os
import queue
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courses.models import (  # noqa: E402
    Course,
    Enrolment,
    EnrolmentStatus,
    Lecture,
    Lesson,
    TrainingClass,
)
from courses.study import services as study  # noqa: E402
from partyschool.accounts import services as accounts  # noqa: E402
from partyschool.accounts.models import Role, User  # noqa: E402
from partyschool.app import demo  # noqa: E402
from partyschool.app.factory import create_app  # noqa: E402
from partyschool.candidates.models import Candidate, StageChange  # noqa: E402
from partyschool.candidates.rules import Level, Stage  # noqa: E402
from partyschool.extensions import BEIJING, db, today, utcnow  # noqa: E402

TRAINEES = int(os.environ.get("BENCH_TRAINEES", "1000"))
INTERVAL = float(os.environ.get("BENCH_INTERVAL", "30"))
DURATION = float(os.environ.get("BENCH_SECONDS", "75"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
CLIENT_THREADS = 64
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def populate(env: dict) -> list[tuple[int, str, str]]:
    """One class of TRAINEES approved trainees; (lesson id, bearer token, page token) each."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"]}
    )
    beats = []
    with app.app_context():
        school = demo.seed_organization(db.session)["district1"]
        course = Course(
            party_school=school,
            title="入党积极分子培训课程",
            target_stage=Stage.ACTIVIST,
            required_hours=Decimal(24),
        )
        lessons = [
            Lesson(position=i, title=f"第{i}课", body="正文", required_minutes=45)
            for i in range(1, 9)
        ]
        course.lessons.extend(lessons)
        on = today()
        training_class = TrainingClass(
            course=course,
            party_school=school,
            name="入党积极分子培训班",
            number=1,
            starts_on=on,
            ends_on=on + timedelta(days=30),
            capacity=TRAINEES,
            enrol_opens_on=on - timedelta(days=7),
            enrol_closes_on=on,
        )
        training_class.lectures.append(
            Lecture(
                title="开班讲座",
                starts_at=utcnow().astimezone(BEIJING),
                place="大礼堂",
                hours=Decimal(2),
                sign_in_secret=secrets.token_hex(16),
            )
        )
        db.session.add(training_class)
        db.session.flush()
        users = []
        for i in range(TRAINEES):
            user = User(
                username=f"trainee{i:05d}",
                display_name=f"学员{i}",
                password_hash=accounts.UNUSABLE_PASSWORD,
                role=Role.ACTIVIST,
                party_school=school,
            )
            candidate = Candidate(
                student_no=f"T{i:08d}",
                name=f"学员{i}",
                user=user,
                party_school=school,
                level=Level.UNDERGRADUATE,
                stage=Stage.ACTIVIST,
            )
            candidate.stage_changes.append(
                StageChange(stage=Stage.ACTIVIST, entered_on=on - timedelta(days=400))
            )
            db.session.add(
                Enrolment(
                    training_class=training_class,
                    candidate=candidate,
                    status=EnrolmentStatus.APPROVED,
                )
            )
            users.append(user)
        db.session.flush()
        lifetime = timedelta(hours=2)
        for i, user in enumerate(users):
            token, _ = accounts.issue_token(db.session, user, lifetime)
            lesson_id = lessons[i % len(lessons)].id
            page_token = study.issue_page_token(env["SECRET_KEY"], user.id, lesson_id)
            beats.append((lesson_id, token, page_token))
        db.session.commit()
        db.engine.dispose()
    return beats


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """gunicorn with WORKERS processes of THREADS threads, waiting until it answers."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"{HOST}:{port}",
            "app:app",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


class Load:
    """Replays the heartbeats of every trainee on schedule and records each latency."""

    def __init__(self, port: int, beats: list[tuple[int, str, str]]):
        self.port, self.beats = port, beats
        self.sequence = [0] * len(beats)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.max_lag = 0.0
        self.lock = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()

    def schedule(self) -> list[tuple[float, int]]:
        """(seconds from start, trainee) of every beat within DURATION, in time order."""
        events = []
        for trainee in range(len(self.beats)):
            at = INTERVAL * trainee / len(self.beats)
            while at < DURATION:
                events.append((at, trainee))
                at += INTERVAL
        return sorted(events)

    def send(self, trainee: int) -> None:
        """One heartbeat over a new connection, as a browser would after 30 s of quiet."""
        lesson_id, token, page_token = self.beats[trainee]
        self.sequence[trainee] += 1  # one trainee's beats are 30 s apart: never concurrent
        body = json.dumps(
            {
                "page_token": page_token,
                "sequence": self.sequence[trainee],
                "visible": True,
                "active": True,
                "video_position": self.sequence[trainee] * 30,
            }
        )
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
            connection.request("POST", f"/api/v1/lessons/{lesson_id}/heartbeats", body, headers)
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            elapsed = time.perf_counter() - started
            error = None if response.status == 200 else f"{response.status} {payload[:200]!r}"
        except OSError as failure:
            elapsed, error = time.perf_counter() - started, repr(failure)
        with self.lock:
            self.latencies.append(elapsed)
            if error:
                self.errors.append(error)

    def worker(self) -> None:
        """Send queued beats until told to stop."""
        while (trainee := self.jobs.get()) is not None:
            self.send(trainee)

    def run(self) -> float:
        """Send every scheduled beat on time; the run's wall-clock seconds."""
        threads = [threading.Thread(target=self.worker) for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        start = time.monotonic()
        for at, trainee in self.schedule():
            delay = start + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.max_lag = max(self.max_lag, -delay)
            self.jobs.put(trainee)
        for _ in threads:
            self.jobs.put(None)
        for thread in threads:
            thread.join()
        return time.monotonic() - start


def credited_seconds(database_url: str) -> int:
    """The most seconds credited to any one trainee."""
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        query = "SELECT COALESCE(MAX(seconds), 0) FROM lesson_progress"
        (most,) = connection.execute(query).fetchone()
    return most


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Build the data, start gunicorn, run the load, print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-study-") as workdir:
        database_url = f"sqlite:///{workdir}/bench.db"
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "UPLOAD_FOLDER": f"{workdir}/uploads",
        }
        flask = Path(sys.executable).parent / "flask"
        subprocess.run(
            [str(flask), "--app", "app", "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        beats = populate(env)
        port = free_port()
        server = start_server(env, port, Path(workdir) / "gunicorn.log")
        try:
            load = Load(port, beats)
            wall = load.run()
        finally:
            stop_server(server)
        most = credited_seconds(database_url)
        latencies_ms = [s * 1000 for s in load.latencies]
        for error in sorted(set(load.errors))[:5]:
            print("error:", error)
        print(
            f"{len(latencies_ms)} heartbeats from {len(beats)} trainees in {wall:.1f} s "
            f"on {WORKERS} gunicorn workers x {THREADS} threads"
        )
        print(
            json.dumps(
                {
                    "trainees": len(beats),
                    "errors": len(load.errors),
                    "requests": len(latencies_ms),
                    "rps": round(len(latencies_ms) / wall, 1),
                    "p50_ms": round(statistics.median(latencies_ms), 1),
                    "p95_ms": round(percentile(latencies_ms, 0.95), 1),
                    "p99_ms": round(percentile(latencies_ms, 0.99), 1),
                    "max_ms": round(max(latencies_ms), 1),
                    "max_dispatch_lag_ms": round(load.max_lag * 1000, 1),
                    "duration_s": round(wall, 1),
                    "interval_s": INTERVAL,
                    "max_credited_s": most,
                    "credit_within_wall_clock": most <= wall,
                    "database": "sqlite",
                    "workers": WORKERS,
                    "threads": THREADS,
                }
            )
        )


if __name__ == "__main__":
    main()
