"""Shared by bench/exam_day.py and tests/exams/test_fault.py: an exam of many trainees in a
database, gunicorn on 127.0.0.1 in its own process group, and keep-alive API clients.

Not a benchmark itself: `make bench` runs it and it does nothing. bench/exam_day.py imports
it as `_server` (its own directory is on sys.path); the test imports it by file path, since
bench/ is not a package.
"""

import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from courses.models import Course, Enrolment, EnrolmentStatus, TrainingClass  # noqa: E402
from exams.models import (  # noqa: E402
    Answer,
    Attempt,
    Exam,
    Paper,
    PaperMode,
    Question,
    QuestionBank,
    ReviewPolicy,
)
from exams.questions import QuestionData, QuestionType, to_json, validate  # noqa: E402
from partyschool.accounts import services as accounts  # noqa: E402
from partyschool.accounts.models import Role, User  # noqa: E402
from partyschool.app.factory import create_app  # noqa: E402
from partyschool.candidates.models import Candidate, StageChange  # noqa: E402
from partyschool.candidates.rules import Level, Stage  # noqa: E402
from partyschool.extensions import db, today, utcnow  # noqa: E402
from partyschool.organization.models import PartySchool, SchoolKind  # noqa: E402

HOST = "127.0.0.1"
# Errors a client sees when the server's end of a connection goes away (a worker killed, a
# keep-alive connection closed by the server): the exam page retries on these.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


# -- the database --------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def migrate(env: dict) -> None:
    """`flask db upgrade` of the database in env["DATABASE_URL"]."""
    flask = Path(sys.executable).parent / "flask"
    subprocess.run(
        [str(flask), "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def question_bank(count: int) -> list[QuestionData]:
    """`count` valid questions cycling through single, multiple, true/false and fill-in."""
    made = []
    for n in range(1, count + 1):
        kind = n % 4
        if kind == 1:
            data = QuestionData(
                QuestionType.SINGLE,
                f"第{n}题：党的根本组织原则是（ ）。",
                ("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
                0,
                "党章",
            )
        elif kind == 2:
            data = QuestionData(
                QuestionType.MULTIPLE,
                f"第{n}题：党的纪律主要包括（ ）。",
                ("政治纪律", "组织纪律", "廉洁纪律", "群众纪律", "学习纪律"),
                (0, 1, 2, 3),
                "党的纪律",
            )
        elif kind == 3:
            data = QuestionData(
                QuestionType.TRUE_FALSE, f"第{n}题：预备党员的预备期为一年。", (), True, "党章"
            )
        else:
            data = QuestionData(
                QuestionType.FILL,
                f"第{n}题：党的最高理想和最终目标是实现____，党的宗旨是____。",
                (),
                (("共产主义",), ("全心全意为人民服务", "为人民服务")),
                "党的性质和宗旨",
            )
        assert not validate(data), validate(data)
        made.append(data)
    return made


@dataclass
class ExamSetup:
    """What the clients need: the exam and one bearer token per trainee."""

    exam_id: int
    tokens: list[str]
    max_score: Decimal


def populate_exam(
    session: Session,
    trainees: int,
    questions: int = 30,
    bank_size: int | None = None,
    time_limit_minutes: int = 120,
) -> ExamSetup:
    """One class of `trainees` approved trainees with a bearer token each, a bank of
    `bank_size` questions, a fixed paper of `questions` of them and an exam open now; commits.

    Names carry a random tag, so it also works on a database that already holds data.
    """
    tag = secrets.token_hex(3)
    top = session.scalar(select(PartySchool).where(PartySchool.parent_id.is_(None)))
    if top is None:
        top = PartySchool(code=f"school-{tag}", name="校党校", kind=SchoolKind.SCHOOL)
    school = PartySchool(
        code=f"exam-{tag}", name=f"考试分党校{tag}", kind=SchoolKind.DISTRICT, parent=top
    )
    course = Course(
        party_school=school,
        title="入党积极分子培训课程",
        target_stage=Stage.ACTIVIST,
        required_hours=Decimal(24),
    )
    on = today()
    training_class = TrainingClass(
        course=course,
        party_school=school,
        name="入党积极分子培训班",
        number=1,
        starts_on=on - timedelta(days=30),
        ends_on=on + timedelta(days=1),
        capacity=trainees,
        enrol_opens_on=on - timedelta(days=40),
        enrol_closes_on=on - timedelta(days=30),
        requires_study_hours=False,
    )
    session.add(training_class)
    users = []
    for i in range(trainees):
        user = User(
            username=f"t{tag}-{i:05d}",
            display_name=f"学员{i}",
            password_hash=accounts.UNUSABLE_PASSWORD,
            role=Role.ACTIVIST,
            party_school=school,
        )
        candidate = Candidate(
            student_no=f"E{tag}{i:06d}",
            name=f"学员{i}",
            user=user,
            party_school=school,
            level=Level.UNDERGRADUATE,
            stage=Stage.ACTIVIST,
        )
        candidate.stage_changes.append(
            StageChange(stage=Stage.ACTIVIST, entered_on=on - timedelta(days=400))
        )
        session.add(
            Enrolment(
                training_class=training_class,
                candidate=candidate,
                status=EnrolmentStatus.APPROVED,
            )
        )
        users.append(user)
    bank = QuestionBank(party_school=school, name="党章党规知识题库")
    for data in question_bank(max(bank_size or questions, questions)):
        bank.questions.append(Question(kind=data.type, category=data.category, data=to_json(data)))
    session.add(bank)
    session.flush()
    points = (Decimal(100) / questions).quantize(Decimal("0.01"))
    paper = Paper(
        party_school_id=school.id,
        title="入党积极分子培训结业考试",
        mode=PaperMode.FIXED,
        items=[{"question_id": q.id, "points": str(points)} for q in bank.questions[:questions]],
    )
    now = utcnow()
    exam = Exam(
        training_class=training_class,
        paper=paper,
        title="结业考试",
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(minutes=time_limit_minutes + 60),
        time_limit_minutes=time_limit_minutes,
        max_attempts=1,
        pass_mark=Decimal(60),
        review_policy=ReviewPolicy.SCORE,
    )
    session.add(exam)
    session.flush()
    tokens = [accounts.issue_token(session, user, timedelta(hours=6))[0] for user in users]
    session.commit()
    return ExamSetup(exam.id, tokens, points * questions)


def a_response(question: dict, rng: random.Random) -> Any:
    """A plausible answer to a question as the API shows it (displayed option indices)."""
    kind = question["type"]
    if kind == "single":
        return rng.randrange(len(question["options"]))
    if kind == "multiple":
        count = rng.randint(1, len(question["options"]))
        return sorted(rng.sample(range(len(question["options"])), count))
    if kind == "true_false":
        return rng.random() < 0.5
    if kind == "fill":
        return [rng.choice(["共产主义", "为人民服务", "不知道"]) for _ in range(question["blanks"])]
    return "坚定理想信念，全心全意为人民服务。"


@dataclass
class Stored:
    """What the database holds for one exam."""

    answers: dict[tuple[int, int], Any] = field(default_factory=dict)
    attempts: dict[int, Attempt] = field(default_factory=dict)
    attempts_per_enrolment: dict[int, int] = field(default_factory=dict)


def stored(session: Session, exam_id: int) -> Stored:
    """Every attempt and answer of the exam, read afresh."""
    found = Stored()
    for attempt in session.scalars(select(Attempt).where(Attempt.exam_id == exam_id)):
        found.attempts[attempt.id] = attempt
        count = found.attempts_per_enrolment.get(attempt.enrolment_id, 0) + 1
        found.attempts_per_enrolment[attempt.enrolment_id] = count
    rows = session.execute(
        select(Answer.attempt_id, Answer.question_id, Answer.response)
        .join(Attempt)
        .where(Attempt.exam_id == exam_id)
    )
    for attempt_id, question_id, response in rows:
        found.answers[(attempt_id, question_id)] = response
    return found


def lost(acknowledged: dict[tuple[int, int], Any], found: Stored) -> list[tuple[int, int]]:
    """The answers a client got a 2xx for that the database does not hold as sent."""
    missing = object()
    return [
        key
        for key, value in acknowledged.items()
        if found.answers.get(key, missing) != value
        # JSON keeps bool and int apart; Python's == does not (True == 1).
        or type(found.answers[key]) is not type(value)
    ]


def durability(session: Session) -> dict[str, str]:
    """The database's settings that decide whether a commit survives a power cut."""
    if session.get_bind().dialect.name == "sqlite":
        level = session.execute(text("PRAGMA synchronous")).scalar()
        return {"synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[level]}
    return {
        name: session.execute(text(f"SHOW {name}")).scalar()
        for name in ("fsync", "synchronous_commit", "full_page_writes")
    }


# -- gunicorn ------------------------------------------------------------------------------


@contextlib.contextmanager
def exam_site(database_url: str | None, trainees: int, questions: int, **server_options):
    """A fresh database holding an exam of `trainees` (see populate_exam) served by gunicorn;
    yields (port, setup, url, server) and stops the server afterwards. SQLite in a temporary
    directory unless a database URL is given."""
    with tempfile.TemporaryDirectory(prefix="bench-exam-") as workdir:
        url = database_url or f"sqlite:///{workdir}/bench.db"
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "UPLOAD_FOLDER": f"{workdir}/uploads",
        }
        migrate(env)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
        with app.app_context():
            setup = populate_exam(db.session, trainees, questions)
            db.session.remove()
            db.engine.dispose()
        port = free_port()
        server = start_server(env, port, Path(workdir) / "gunicorn.log", **server_options)
        try:
            yield port, setup, url, server
        finally:
            stop_server(server)


def durable_postgres_url(script: str) -> str | None:
    """The PostgreSQL database to measure on, or None after running the script again under
    scripts/with-postgres with the durability settings on (fsync, synchronous_commit)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    command = [str(ROOT / "scripts" / "with-postgres"), sys.executable, script, *sys.argv[1:]]
    sys.exit(subprocess.call(command, env={**os.environ, "WITH_POSTGRES_DURABLE": "1"}))


def threads_for(database: str) -> int:
    """gunicorn threads per worker: on SQLite eight, whose saves share a group commit; on
    PostgreSQL, which shares its disk syncs itself, four: eight cost about 7 % more CPU per
    save in thread hand-offs (deploy/gunicorn.conf.py)."""
    return 8 if database == "sqlite" else 4


def start_server(
    env: dict,
    port: int,
    log_path: Path,
    workers: int = 2,
    worker_class: str = "gthread",
    threads: int = 4,
    keep_alive: int = 2,
    ready_timeout: float = 60,
    access_log: Path | None = None,
) -> subprocess.Popen:
    """gunicorn serving app:app on 127.0.0.1 in its own process group, once it answers.

    With `access_log`, each request is logged as "METHOD PATH STATUS MICROSECONDS"."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--keep-alive",
        str(keep_alive),
        "--bind",
        f"{HOST}:{port}",
        # Not the shared $HOME/.gunicorn/gunicorn.ctl of every other gunicorn on the machine.
        "--no-control-socket",
        # The app loads before the workers fork: every worker answers from the first request,
        # and the clients' connections, opened at once, fall on all of them.
        "--preload",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    if access_log is not None:
        command += [
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(D)s",
        ]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "app:app"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server.log_path = log_path
    try:
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                try:
                    connection.request("GET", "/healthz")
                    if (
                        connection.getresponse().status == 200
                        and len(worker_pids(server)) == workers
                    ):
                        return server
                finally:
                    connection.close()
            except CONNECTION_ERRORS:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within {ready_timeout} s")
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group), whatever state it is in."""
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    # Workers left behind by a master that died first share its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)


def worker_pids(server: subprocess.Popen) -> set[int]:
    """The live worker processes of a gunicorn master: its children."""
    return children_of(server.pid)


def cpu_seconds(pids: set[int], waited_children: bool = False) -> float:
    """User and system CPU seconds the live processes have used so far (and, with
    `waited_children`, their children that have exited)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        used += int(fields[11]) + int(fields[12])  # utime, stime
        if waited_children:
            used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / ticks


def cpu_now(server_pids: set[int], database_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by gunicorn, by these clients, by the PostgreSQL server and by
    the whole machine."""
    database = 0.0
    if database_pid is not None:
        database = cpu_seconds({database_pid}, waited_children=True)
        database += cpu_seconds(children_of(database_pid))
    return {
        "server": cpu_seconds(server_pids),
        "client": sum(os.times()[:2]),
        "database": database,
        "machine": machine_busy_seconds(),
    }


def database_pid(url: str) -> int | None:
    """The PostgreSQL server of a database URL (None for SQLite, which runs in the server)."""
    port = make_url(url).port
    return listener_pid(port) if port else None


def children_of(pid: int) -> set[int]:
    """The live child processes of a process."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == pid and state not in ("Z", "X"):
            found.add(int(entry.name))
    return found


def listener_pid(port: int) -> int | None:
    """The process listening on a local TCP port (e.g. a PostgreSQL postmaster)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                for fd in (entry / "fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) in inodes:
                            return int(entry.name)
    return None


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def connections_of(pid: int, port: int) -> int:
    """How many established TCP connections to `port` the process holds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rpartition(":")[2], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


# -- clients -------------------------------------------------------------------------------


@dataclass
class Reply:
    """One API call as the client saw it (after any retries)."""

    status: int
    data: Any
    seconds: float
    retries: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.error is None and 200 <= self.status < 300


class Client:
    """One keep-alive HTTP/1.1 connection to the server, as a browser keeps one.

    On a connection error the request is sent again on a new connection: at once when a reused
    connection turns out to be closed (the server ends idle keep-alive connections), and for
    up to `patience` seconds otherwise (the exam page keeps retrying while the network is down).
    Every API call used here is idempotent, so sending one twice is safe.
    """

    def __init__(self, port: int, token: str | None = None, patience: float = 0.0, timeout=60):
        self.port, self.token, self.patience, self.timeout = port, token, patience, timeout
        self.connection: http.client.HTTPConnection | None = None
        self.requests = 0  # sent on the current connection

    def close(self) -> None:
        """Close the connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Reply:
        """Send one request (with `token`, else the client's own); the reply, or the last
        connection error as `error`."""
        headers = {"Accept": "application/json"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        payload = None
        if body is not None or method in ("POST", "PUT"):
            payload = json.dumps({} if body is None else body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        retries, pause = 0, 0.02
        while True:
            reused = self.connection is not None and self.requests > 0
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(
                        HOST, self.port, timeout=self.timeout
                    )
                    self.requests = 0
                self.requests += 1
                self.connection.request(method, path, payload, headers)
                response = self.connection.getresponse()
                raw = response.read()
                if response.will_close:
                    self.close()
                data = json.loads(raw) if raw[:1] in (b"{", b"[") else raw[:300]
                return Reply(response.status, data, time.perf_counter() - started, retries)
            except CONNECTION_ERRORS as failure:
                self.close()
                elapsed = time.perf_counter() - started
                if reused and retries == 0:
                    retries += 1  # a keep-alive connection the server had closed
                    continue
                if elapsed + pause > self.patience:
                    return Reply(0, None, elapsed, retries, error=repr(failure))
                retries += 1
                time.sleep(pause)
                pause = min(pause * 2, 0.5)


class AsyncClient:
    """One keep-alive HTTP/1.1 connection driven by asyncio, for a scenario of thousands of
    takers in one client process: client threads would queue for the GIL, and their wait would
    be counted as the server's. Knows just enough HTTP for this API (Content-Length bodies).
    A reused connection the server has closed is opened again and the request sent once more."""

    def __init__(self, port: int):
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def close(self) -> None:
        """Close the connection."""
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    async def call(self, method: str, path: str, body: Any = None, token: str = "") -> Reply:
        """Send one request with a bearer token; the reply, or the connection error."""
        payload = b"" if body is None and method == "GET" else json.dumps(body or {}).encode()
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        started, retries = time.perf_counter(), 0
        while True:
            reused = self.streams is not None
            try:
                if self.streams is None:
                    self.streams = await asyncio.open_connection(HOST, self.port)
                reader, writer = self.streams
                writer.write(request)
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                length = _CONTENT_LENGTH.search(head)
                if length is None:
                    raise ValueError(f"no Content-Length: {head[:200]}")
                raw = await reader.readexactly(int(length.group(1)))
                if "\r\nconnection: close" in head:
                    self.close()
                data = json.loads(raw) if raw[:1] in (b"{", b"[") else raw[:300]
                return Reply(int(head[9:12]), data, time.perf_counter() - started, retries)
            except (OSError, EOFError, ValueError) as failure:
                self.close()
                if reused and retries == 0:
                    retries = 1  # a keep-alive connection the server had closed
                    continue
                elapsed = time.perf_counter() - started
                return Reply(0, None, elapsed, retries, error=repr(failure))


_CONTENT_LENGTH = re.compile(r"\r\ncontent-length: *(\d+)")


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


if __name__ == "__main__":
    print("bench/_server.py: helpers of bench/exam_day.py and tests/exams/test_fault.py")
