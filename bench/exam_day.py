"""Benchmark: exam day. 1,000 trainees of one class take a 30-question exam at once through
the JSON API of gunicorn on SQLite (default) or PostgreSQL (`--database postgres`).

Builds a fresh database (`flask db upgrade`), one class of 1,000 approved trainees with a
bearer token each, a bank of fill-in, true/false, single and multiple choice questions, a
fixed 30-question paper and an exam open now. Starts gunicorn on 127.0.0.1, hammers the
trivial endpoint (/healthz) for a few seconds to know what the server can do, then replays
the exam: the trainees start within the first minute (random times), each saves its 30
answers with a think time between saves and submits. One event loop plays every trainee, and
300 keep-alive connections carry each request when it is due (asyncio: thousands of takers in
client threads would queue for the GIL, and that wait would be counted as the server's);
every latency is measured. Afterwards the database is read: every answer a client got a 2xx
for must be stored as sent, and every attempt submitted and scored.

Prints one JSON line last: takers, errors (non-2xx answers and requests that failed),
lost_answers, unsubmitted, save_p50_ms, save_p95_ms, save_p99_ms, save_max_ms (as the clients
saw them), save_rps (saves per second over the exam), save_peak_rps (the busiest 10 s),
trivial_rps, ratio (save_rps / trivial_rps), peak_ratio, requests, database, the settings, and
cpu_s: CPU seconds used during the exam by gunicorn, the clients, PostgreSQL, and `others`, the
rest of the machine. The server and the clients share the machine, so a busy neighbour (others
well above 0) makes the latencies meaningless: run it again on a quiet machine. With
`--access-log`, save_server_p95_ms and save_server_p99_ms give the time inside gunicorn.
Targets: errors 0, lost 0; SQLite at 1,000 takers save p95 <= 25 ms, p99 <= 100 ms;
PostgreSQL at 3,000 takers p95 <= 50 ms, p99 <= 150 ms. `durability` shows the database's
settings: what a 2xx acknowledged is on the disk (SQLite synchronous FULL; PostgreSQL fsync and
synchronous_commit on). bench/exam_capacity.py measures capacity and the start burst.

`--database postgres` uses TEST_DATABASE_URL when set, else starts a throwaway cluster with
its durability settings on through scripts/with-postgres, which runs this script again.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _server as server_kit  # noqa: E402  (bench/, this script's directory, is on sys.path)
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from exams.models import AttemptStatus  # noqa: E402

QUESTIONS = 30


def settings() -> argparse.Namespace:
    """Command-line options; BENCH_* environment variables give the defaults."""
    env = os.environ.get
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--trainees", type=int, default=int(env("BENCH_TRAINEES", "1000")))
    parser.add_argument("--ramp", type=float, default=float(env("BENCH_RAMP_S", "60")))
    parser.add_argument("--think-min", type=float, default=float(env("BENCH_THINK_MIN", "2")))
    parser.add_argument("--think-max", type=float, default=float(env("BENCH_THINK_MAX", "6")))
    # One worker per core, with threads: on SQLite the saves of a worker's threads share a
    # group commit (partyschool/group_commit.py) and one writer is admitted at a time; on
    # PostgreSQL two workers per core cost about a sixth more CPU per save (context switches).
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env("BENCH_WORKERS", "0")) or cores,
        help="gunicorn workers (default: one per core)",
    )
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default=env("BENCH_WORKER_CLASS", "gthread")
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(env("BENCH_THREADS", "0")) or None,
        help="default: 8 on SQLite, 4 on PostgreSQL",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=int(env("BENCH_CONNECTIONS", "300")),
        help="keep-alive connections the takers share (a computer room's proxies)",
    )
    parser.add_argument("--trivial-seconds", type=float, default=5.0)
    parser.add_argument("--trivial-clients", type=int, default=32)
    parser.add_argument("--seed", type=int, default=20240701)
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every request's server time and report the saves' server-side percentiles",
    )
    options = parser.parse_args()
    options.threads = options.threads or server_kit.threads_for(options.database)
    return options


class Trainee:
    """One trainee's progress through the exam and what the server acknowledged."""

    def __init__(self, index: int, token: str, seed: int):
        self.index, self.token = index, token
        self.rng = random.Random(seed * 100_003 + index)
        self.attempt_id: int | None = None
        self.questions: list[dict] = []
        self.saved = 0  # questions sent so far


class ExamDay:
    """Replays the exam: every trainee is a task of one event loop that waits for its next
    step and takes one of the keep-alive connections for it."""

    def __init__(self, options: argparse.Namespace, port: int, setup):
        self.options, self.port, self.exam_id = options, port, setup.exam_id
        self.trainees = [Trainee(i, t, options.seed) for i, t in enumerate(setup.tokens)]
        self.latencies: dict[str, list[float]] = {"start": [], "save": [], "submit": []}
        self.save_times: list[float] = []  # when each acknowledged save completed
        self.errors: list[str] = []
        self.acknowledged: dict[tuple[int, int], object] = {}
        self.retries = 0
        self.max_lag = 0.0  # the longest a due step waited for a free connection

    def think(self, trainee: Trainee) -> float:
        """Seconds until the trainee's next answer."""
        return trainee.rng.uniform(self.options.think_min, self.options.think_max)

    def record(self, kind: str, reply, what: str) -> bool:
        """Keep the latency; note an error; True for a 2xx."""
        self.latencies[kind].append(reply.seconds)
        self.retries += reply.retries
        if not reply.ok:
            detail = reply.error or f"{reply.status} {str(reply.data)[:200]}"
            self.errors.append(f"{what}: {detail}")
        return reply.ok

    async def take(self, trainee: Trainee, due: float, connections: asyncio.Queue) -> None:
        """The trainee's exam: start at `due`, answer with think times, submit."""
        while True:
            await asyncio.sleep(due - time.monotonic())
            client = await connections.get()
            self.max_lag = max(self.max_lag, time.monotonic() - due)
            try:
                finished = await self.act(client, trainee)
            finally:
                connections.put_nowait(client)
            if finished:
                return
            due = time.monotonic() + self.think(trainee)

    async def act(self, client, trainee: Trainee) -> bool:
        """The trainee's next step: start, save the next answer, or submit; True when done."""
        token = trainee.token
        if trainee.attempt_id is None:
            path = f"/api/v1/exams/{self.exam_id}/attempts"
            reply = await client.call("POST", path, token=token)
            if not self.record("start", reply, "start"):
                return True
            trainee.attempt_id = reply.data["attempt_id"]
            trainee.questions = reply.data["questions"]
        elif trainee.saved < len(trainee.questions):
            question = trainee.questions[trainee.saved]
            trainee.saved += 1
            value = server_kit.a_response(question, trainee.rng)
            path = f"/api/v1/attempts/{trainee.attempt_id}/answers/{question['question_id']}"
            reply = await client.call("PUT", path, {"response": value}, token=token)
            if self.record("save", reply, "save"):
                self.acknowledged[(trainee.attempt_id, question["question_id"])] = value
                self.save_times.append(time.monotonic())
        else:
            path = f"/api/v1/attempts/{trainee.attempt_id}/submit"
            reply = await client.call("POST", path, token=token)
            if self.record("submit", reply, "submit") and reply.data["status"] != "submitted":
                self.errors.append(f"submit: status {reply.data['status']}")
            return True
        return False

    async def replay(self) -> None:
        """Every trainee's exam at once, over the shared connections."""
        connections: asyncio.Queue = asyncio.Queue()
        clients = [server_kit.AsyncClient(self.port) for _ in range(self.options.connections)]
        for client in clients:
            connections.put_nowait(client)
        start = time.monotonic()
        rng = random.Random(self.options.seed)
        starts = sorted(rng.uniform(0, self.options.ramp) for _ in self.trainees)
        try:
            async with asyncio.TaskGroup() as group:
                for at, trainee in zip(starts, self.trainees, strict=True):
                    group.create_task(self.take(trainee, start + at, connections))
        finally:
            for client in clients:
                client.close()

    def run(self) -> float:
        """The whole exam; its wall-clock seconds."""
        start = time.monotonic()
        asyncio.run(self.replay())
        return time.monotonic() - start


def hammer(port: int, seconds: float, clients: int) -> dict:
    """GET /healthz as fast as `clients` client threads can for `seconds`."""
    done, errors, latencies = [0], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop():
        client = server_kit.Client(port)
        mine, bad, times = 0, 0, []
        try:
            while time.monotonic() < stop_at:
                reply = client.call("GET", "/healthz")
                times.append(reply.seconds)
                if reply.ok:
                    mine += 1
                else:
                    bad += 1
        finally:
            client.close()
        with lock:
            done[0] += mine
            errors[0] += bad
            latencies.extend(times)

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "rps": done[0] / elapsed,
        "errors": errors[0],
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
    }


def busiest(times: list[float], window: float = 10.0) -> float:
    """The most events per second within any `window` seconds."""
    times, best, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] > window:
            first += 1
        best = max(best, last - first + 1)
    return best / window


def server_times(access_log: Path) -> list[float]:
    """The server-side seconds of every answer saved, from gunicorn's access log."""
    times = []
    for line in access_log.read_text().splitlines():
        method, path, _, micros = line.split()
        if method == "PUT" and "/answers/" in path:
            times.append(int(micros) / 1e6)
    return times


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds, rounded for the report."""
    return None if seconds is None else round(seconds * 1000, 1)


def pct(values: list[float], share: float) -> float | None:
    """The percentile of some latencies in milliseconds; None without any."""
    return ms(server_kit.percentile(values, share)) if values else None


def main() -> None:
    """Build the data, start gunicorn, measure the trivial endpoint, run the exam, verify."""
    options = settings()
    database = "postgresql" if options.database == "postgres" else "sqlite"
    url = server_kit.durable_postgres_url(__file__) if database == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="bench-exam-day-") as workdir:
        access_log = Path(workdir) / "access.log" if options.access_log else None
        site = server_kit.exam_site(
            url,
            options.trainees,
            QUESTIONS,
            workers=options.workers,
            worker_class=options.worker_class,
            threads=options.threads,
            keep_alive=75,  # as a reverse proxy in front would keep them
            access_log=access_log,
        )
        with site as (port, setup, url, server):
            trivial = hammer(port, options.trivial_seconds, options.trivial_clients)
            exam = ExamDay(options, port, setup)
            server_pids = {server.pid} | server_kit.worker_pids(server)
            database_pid = server_kit.database_pid(url)
            before = server_kit.cpu_now(server_pids, database_pid)
            wall = exam.run()
            after = server_kit.cpu_now(server_pids, database_pid)
            cpu = {k: round(v - before[k], 1) for k, v in after.items()}
            crashes = server.log_path.read_text().count("Traceback")
            server_side = server_times(access_log) if access_log else []
            engine = create_engine(url)  # the database goes with the site: read it now
            try:
                with Session(engine) as session:
                    found = server_kit.stored(session, setup.exam_id)
                    lost = server_kit.lost(exam.acknowledged, found)
                    unsubmitted = [
                        a.id
                        for a in found.attempts.values()
                        if a.status is not AttemptStatus.SUBMITTED or a.score is None
                    ]
                    durability = server_kit.durability(session)
            finally:
                engine.dispose()
    saves = exam.latencies["save"]
    save_span = max(exam.save_times) - min(exam.save_times) if len(exam.save_times) > 1 else 1
    save_rps = len(exam.save_times) / save_span
    requests = sum(len(values) for values in exam.latencies.values())
    for error, count in Counter(exam.errors).most_common(5):
        print(f"error x{count}: {error}")
    print(
        f"{len(exam.trainees)} trainees, {len(saves)} saves, {requests} requests in {wall:.1f} s "
        f"on {options.workers} {options.worker_class} workers"
        + (f" x {options.threads} threads" if options.worker_class == "gthread" else "")
        + f", {options.connections} client connections; /healthz {trivial['rps']:.0f}/s"
    )
    print(
        json.dumps(
            {
                "takers": len(exam.trainees),
                "errors": len(exam.errors) + trivial["errors"],
                "lost_answers": len(lost),
                "acknowledged_answers": len(exam.acknowledged),
                "stored_answers": len(found.answers),
                "attempts": len(found.attempts),
                "unsubmitted": len(unsubmitted) + len(exam.trainees) - len(found.attempts),
                "save_p50_ms": pct(saves, 0.50),
                "save_p95_ms": pct(saves, 0.95),
                "save_p99_ms": pct(saves, 0.99),
                "save_max_ms": pct(saves, 1.0),
                "start_p95_ms": pct(exam.latencies["start"], 0.95),
                "submit_p95_ms": pct(exam.latencies["submit"], 0.95),
                "save_rps": round(save_rps, 1),
                "save_peak_rps": round(busiest(exam.save_times), 1),
                "trivial_rps": round(trivial["rps"], 1),
                "trivial_p50_ms": round(trivial["p50_ms"] or 0, 1),
                "ratio": round(save_rps / trivial["rps"], 3),
                "peak_ratio": round(busiest(exam.save_times) / trivial["rps"], 3),
                "requests": requests,
                "save_server_p95_ms": pct(server_side, 0.95),
                "save_server_p99_ms": pct(server_side, 0.99),
                "cpu_s": {
                    **cpu,
                    "others": round(
                        cpu["machine"] - cpu["server"] - cpu["client"] - cpu["database"], 1
                    ),
                    "available": round(wall * (os.cpu_count() or 1), 1),
                },
                "connection_retries": exam.retries,
                "server_tracebacks": crashes,
                "max_connection_wait_ms": ms(exam.max_lag),
                "duration_s": round(wall, 1),
                "database": database,
                "durability": durability,
                "workers": options.workers,
                "worker_class": options.worker_class,
                "threads": options.threads if options.worker_class == "gthread" else 1,
                "connections": options.connections,
                "think_s": [options.think_min, options.think_max],
                "ramp_s": options.ramp,
            }
        )
    )


if __name__ == "__main__":
    main()
