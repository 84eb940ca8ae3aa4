"""Benchmark: what an exam server can take. Two modes, through gunicorn's JSON API on SQLite
(default) or PostgreSQL (`--database postgres`, run with fsync and synchronous_commit on):

- `capacity`: N clients (each its own trainee and attempt) save answers back to back for a
  fixed time, and the same clients call the trivial endpoint (/healthz) for the same time,
  taking turns in a few rounds.
  Prints save_capacity_rps, trivial_rps and their ratio (target >= 0.5), the CPU each kind
  of request costs gunicorn and the database, and checks that every acknowledged answer is
  stored as sent.
- `start-burst`: every trainee presses 开始考试 within `--burst` seconds (the computer rooms
  at the bell). Prints the start latencies (target: errors 0, p95 <= 1 s).

Prints one JSON line last. The server and the clients share the machine's cores.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as kit  # noqa: E402  (bench/, this script's directory, is on sys.path)
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

QUESTIONS = 30


def settings() -> argparse.Namespace:
    """Command-line options."""
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("capacity", "start-burst"), default="capacity")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=64, help="capacity: clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="capacity: of each kind")
    parser.add_argument("--rounds", type=int, default=5, help="capacity: turns of each kind")
    parser.add_argument("--trainees", type=int, default=1000, help="start-burst: trainees")
    parser.add_argument("--burst", type=float, default=10.0, help="start-burst: seconds")
    parser.add_argument("--workers", type=int, default=cores)
    parser.add_argument("--threads", type=int, help="default: 8 on SQLite, 4 on PostgreSQL")
    parser.add_argument("--seed", type=int, default=20240701)
    options = parser.parse_args()
    options.threads = options.threads or kit.threads_for(options.database)
    return options


def in_threads(count: int, target) -> None:
    """Run target(index) in `count` threads and wait for them."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def capacity(port: int, setup, options, server, url: str) -> dict:
    """Saves back to back, then /healthz, by the same clients for the same time.

    The clients keep their connections, and which worker holds each is the luck of accept():
    the clients start one after another, so each connection goes to a worker that is idle
    (connections opened at once pile on the one worker that is awake). The report shows
    how they fell."""
    clients = [kit.Client(port, token) for token in setup.tokens[: options.clients]]
    attempts: list[dict] = [{}] * len(clients)
    acknowledged, errors, lock = {}, [], threading.Lock()
    saves, calls = [0] * len(clients), [0] * len(clients)

    def start(i):
        reply = clients[i].call("POST", f"/api/v1/exams/{setup.exam_id}/attempts")
        attempts[i] = reply.data if reply.ok else {}

    def save(i, seconds):
        attempt, rng = attempts[i], random.Random(options.seed + i + saves[i])
        stop_at = time.monotonic() + seconds
        while attempt and time.monotonic() < stop_at:
            question = attempt["questions"][saves[i] % len(attempt["questions"])]
            value = kit.a_response(question, rng)
            path = f"/api/v1/attempts/{attempt['attempt_id']}/answers/{question['question_id']}"
            reply = clients[i].call("PUT", path, {"response": value})
            with lock:
                if reply.ok:
                    acknowledged[(attempt["attempt_id"], question["question_id"])] = value
                    saves[i] += 1
                else:
                    errors.append(f"save: {reply.error or reply.status} {str(reply.data)[:200]}")

    def trivial(i, seconds):
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            reply = clients[i].call("GET", "/healthz")
            calls[i] += reply.ok
            if not reply.ok:
                with lock:
                    errors.append(f"healthz: {reply.error or reply.status}")

    for i in range(len(clients)):
        start(i)
    spread = sorted(kit.connections_of(pid, port) for pid in kit.worker_pids(server))
    # The two kinds take turns in short rounds, so a neighbour that is busy for a while
    # slows both alike and the ratio stays fair.
    spent = {save: 0.0, trivial: 0.0}
    used = {save: {"server": 0.0, "database": 0.0}, trivial: {"server": 0.0, "database": 0.0}}
    pids, database = kit.worker_pids(server), kit.database_pid(url)
    for _ in range(options.rounds):
        for kind in (save, trivial):
            started, before = time.monotonic(), kit.cpu_now(pids, database)
            in_threads(len(clients), lambda i, kind=kind: kind(i, options.seconds / options.rounds))
            spent[kind] += time.monotonic() - started
            after = kit.cpu_now(pids, database)
            for part in used[kind]:
                used[kind][part] += after[part] - before[part]
    save_rps, trivial_rps = sum(saves) / spent[save], sum(calls) / spent[trivial]
    cpu_ms = {  # CPU milliseconds one request costs the server and the database
        name: {part: round(1000 * value / max(1, done), 2) for part, value in used[kind].items()}
        for name, kind, done in (("save", save, sum(saves)), ("trivial", trivial, sum(calls)))
    }
    for client in clients:
        client.close()
    errors += [f"start refused for client {i}" for i, a in enumerate(attempts) if not a]
    report = {
        "clients": len(clients),
        "seconds": options.seconds,
        "rounds": options.rounds,
        "saves": sum(saves),
        "save_capacity_rps": round(save_rps, 1),
        "trivial_rps": round(trivial_rps, 1),
        "ratio": round(save_rps / trivial_rps, 3),
        "connections_per_worker": spread,
        "cpu_ms_per_request": cpu_ms,
    }
    return {"acknowledged": acknowledged, "errors": errors, "report": report}


def start_burst(port: int, setup, options, server, _url: str) -> dict:
    """Every trainee starts within the burst, at a random moment, on a connection of its own."""
    rng = random.Random(options.seed)
    offsets = sorted(rng.uniform(0, options.burst) for _ in setup.tokens)
    latencies, errors, lock = [], [], threading.Lock()
    began = time.monotonic() + 0.5
    pending = list(zip(offsets, setup.tokens, strict=True))

    def taker(_):
        client = kit.Client(port, patience=5)
        while True:
            with lock:
                if not pending:
                    break
                offset, token = pending.pop(0)
            time.sleep(max(0.0, began + offset - time.monotonic()))
            reply = client.call("POST", f"/api/v1/exams/{setup.exam_id}/attempts", token=token)
            with lock:
                latencies.append(reply.seconds)
                if not reply.ok or len(reply.data.get("questions", ())) != QUESTIONS:
                    errors.append(f"start: {reply.error or reply.status} {str(reply.data)[:200]}")
        client.close()

    in_threads(min(len(setup.tokens), 200), taker)
    finished = time.monotonic() - began
    report = {
        "takers": len(setup.tokens),
        "burst_s": options.burst,
        "finished_after_s": round(finished, 1),
        "start_p50_ms": ms(kit.percentile(latencies, 0.50)),
        "start_p95_ms": ms(kit.percentile(latencies, 0.95)),
        "start_p99_ms": ms(kit.percentile(latencies, 0.99)),
        "start_max_ms": ms(max(latencies)),
    }
    return {"acknowledged": {}, "errors": errors, "report": report}


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the report."""
    return round(seconds * 1000, 1)


def main() -> None:
    """Build the data, serve it, run the mode, check what was acknowledged is stored."""
    options = settings()
    url = kit.durable_postgres_url(__file__) if options.database == "postgres" else None
    trainees = options.clients if options.mode == "capacity" else options.trainees
    server_options = {"workers": options.workers, "threads": options.threads, "keep_alive": 75}
    with kit.exam_site(url, trainees, QUESTIONS, **server_options) as (port, setup, url, server):
        run = capacity if options.mode == "capacity" else start_burst
        outcome = run(port, setup, options, server, url)
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                found = kit.stored(session, setup.exam_id)
                lost = kit.lost(outcome["acknowledged"], found)
                settings_in_force = kit.durability(session)
        finally:
            engine.dispose()
    for error in sorted(set(outcome["errors"]))[:5]:
        print("error:", error)
    print(
        json.dumps(
            {
                "mode": options.mode,
                "database": "postgresql" if options.database == "postgres" else "sqlite",
                **outcome["report"],
                "errors": len(outcome["errors"]),
                "lost_answers": len(lost),
                "attempts": len(found.attempts),
                "workers": options.workers,
                "threads": options.threads,
                "durability": settings_in_force,
            }
        )
    )


if __name__ == "__main__":
    main()
