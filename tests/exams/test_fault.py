"""A gunicorn worker killed with SIGKILL in the middle of an exam loses no saved answer, and
every attempt still completes.

Real processes: gunicorn serves the test database (the suite's SQLite file, or PostgreSQL
when TEST_DATABASE_URL is set) with two gthread workers, as `make run` does; twenty trainees
take the exam at once through the JSON API with bearer tokens, each on its own keep-alive
connection, retrying on connection errors as the exam page does. When a third of the answers
are saved, the worker holding the most client connections is killed; the master starts a new
one. Afterwards the database must hold every answer a client got a 2xx for, as it was sent,
and every attempt must be submitted and scored, once.

The database set-up, gunicorn handling and the client are those of bench/exam_day.py, in
bench/_server.py, imported by path since bench/ is not a package.
"""

import importlib.util
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

from exams.models import AttemptStatus
from tests.factories import reread


def _bench_server():
    """bench/_server.py, imported by its path (bench/ is not a package)."""
    if "bench_server" not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "bench" / "_server.py"
        spec = importlib.util.spec_from_file_location("bench_server", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_server"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_server"]


kit = _bench_server()
TRAINEES = 20
QUESTIONS = 30
KILL_AFTER = TRAINEES * QUESTIONS // 3  # acknowledged saves before the worker dies
PATIENCE = 30.0  # seconds a client keeps retrying through connection errors


class Exam:
    """The trainees' side: what each client sent and what the server acknowledged."""

    def __init__(self, port: int, setup):
        self.port, self.setup = port, setup
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)
        self.saved = 0
        self.acknowledged: dict[tuple[int, int], object] = {}
        self.results: dict[int, dict] = {}  # attempt id → the submit reply
        self.failures: list[str] = []
        self.retries = 0

    def take(self, index: int) -> None:
        """One trainee: start, save every answer, submit."""
        rng = random.Random(index)
        client = kit.Client(self.port, self.setup.tokens[index], patience=PATIENCE)
        try:
            reply = self.expect(client, "POST", f"/api/v1/exams/{self.setup.exam_id}/attempts")
            attempt_id = reply.data["attempt_id"]
            for question in reply.data["questions"]:
                value = kit.a_response(question, rng)
                path = f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"
                self.expect(client, "PUT", path, {"response": value})
                with self.progress:
                    self.acknowledged[(attempt_id, question["question_id"])] = value
                    self.saved += 1
                    self.progress.notify_all()
            reply = self.expect(client, "POST", f"/api/v1/attempts/{attempt_id}/submit")
            with self.lock:
                self.results[attempt_id] = reply.data
        except Exception as failure:  # noqa: BLE001 - reported by the test, not the thread
            with self.progress:
                self.failures.append(f"trainee {index}: {failure!r}")
                self.progress.notify_all()
        finally:
            client.close()

    def expect(self, client, method: str, path: str, body=None):
        """A call that must end in a 2xx, through any retries."""
        reply = client.call(method, path, body)
        with self.lock:
            self.retries += reply.retries
        if not reply.ok:
            raise AssertionError(f"{method} {path}: {reply.error or reply.status} {reply.data}")
        return reply

    def wait_for(self, saves: int, timeout: float) -> None:
        """Until `saves` answers are acknowledged (or a trainee failed)."""
        with self.progress:
            self.progress.wait_for(lambda: self.saved >= saves or self.failures, timeout)


def test_a_killed_worker_loses_no_saved_answer(app, session, database_url, tmp_path):
    setup = kit.populate_exam(session, TRAINEES, QUESTIONS)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "fault-test-secret",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    port = kit.free_port()
    log = tmp_path / "gunicorn.log"
    server = kit.start_server(env, port, log, workers=2, worker_class="gthread", threads=4)
    try:
        exam = Exam(port, setup)
        trainees = [threading.Thread(target=exam.take, args=(i,)) for i in range(TRAINEES)]
        for thread in trainees:
            thread.start()
        exam.wait_for(KILL_AFTER, timeout=30)
        assert not exam.failures, exam.failures
        assert exam.saved < TRAINEES * QUESTIONS, "the exam ended before the worker was killed"

        workers = kit.worker_pids(server)
        assert len(workers) == 2
        victim = max(workers, key=lambda pid: kit.connections_of(pid, port))
        assert kit.connections_of(victim, port) > 0  # its clients are cut off mid-exam
        os.kill(victim, signal.SIGKILL)
        killed_at_saves = exam.saved

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            respawned = kit.worker_pids(server)
            if len(respawned) == 2 and victim not in respawned:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"no new worker after the kill: {log.read_text()[-2000:]}")

        for thread in trainees:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in trainees)
    finally:
        kit.stop_server(server)

    assert not exam.failures, exam.failures
    assert killed_at_saves < TRAINEES * QUESTIONS
    assert exam.retries > 0  # clients of the dead worker did see it go
    assert len(exam.acknowledged) == TRAINEES * QUESTIONS

    found = kit.stored(reread(session), setup.exam_id)
    assert kit.lost(exam.acknowledged, found) == []
    assert len(found.attempts) == TRAINEES  # retried starts made no extra attempts
    assert set(found.attempts_per_enrolment.values()) == {1}
    for attempt in found.attempts.values():
        assert attempt.status is AttemptStatus.SUBMITTED
        assert attempt.is_fully_graded and attempt.score is not None
        assert 0 <= attempt.score <= attempt.max_score == setup.max_score
        reply = exam.results[attempt.id]
        assert reply["status"] == "submitted"
        assert reply["result"]["score"] == float(attempt.score)
