"""`flask backup` while trainees save answers, then `flask restore` into a fresh database:
every answer acknowledged before the backup began is there, and so are the secrets."""

import importlib.util
import os
import subprocess
import sys
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from partyschool.app import backup
from partyschool.certificates import signing
from partyschool.extensions import db

ROOT = Path(__file__).resolve().parents[2]
TRAINEES = 6
QUESTIONS = 40


def bench_kit():
    if "bench_server" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_server", ROOT / "bench" / "_server.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_server"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_server"]


class Trainees:
    """Threads saving answers through the API; what was acknowledged, and when."""

    def __init__(self, app, setup):
        self.app, self.setup = app, setup
        self.lock = threading.Lock()
        self.acknowledged: dict[tuple[int, int], object] = {}
        self.failures: list[str] = []
        self.started = threading.Event()

    def take(self, index: int) -> None:
        import random

        kit, rng = bench_kit(), random.Random(index)
        client = self.app.test_client()
        auth = {"Authorization": f"Bearer {self.setup.tokens[index]}"}
        try:
            reply = client.post(f"/api/v1/exams/{self.setup.exam_id}/attempts", headers=auth)
            data = reply.get_json()
            for number, question in enumerate(data["questions"]):
                value = kit.a_response(question, rng)
                path = f"/api/v1/attempts/{data['attempt_id']}/answers/{question['question_id']}"
                saved = client.put(path, json={"response": value}, headers=auth)
                assert saved.status_code < 300, saved.get_json()
                with self.lock:
                    self.acknowledged[(data["attempt_id"], question["question_id"])] = value
                if number == 3:
                    self.started.set()
        except Exception as failure:  # noqa: BLE001 - reported by the test
            self.failures.append(repr(failure))
            self.started.set()


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the same kind as the suite's, dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_during_writes_restores_every_acknowledged_answer_and_the_secrets(
    app, session, fresh_database_url, tmp_path
):
    kit = bench_kit()
    setup = kit.populate_exam(session, TRAINEES, QUESTIONS)
    trainees = Trainees(app, setup)
    threads = [threading.Thread(target=trainees.take, args=(i,)) for i in range(TRAINEES)]
    for thread in threads:
        thread.start()
    trainees.started.wait(timeout=60)
    with trainees.lock:
        before_backup = dict(trainees.acknowledged)
    archive = tmp_path / "partyschool-backup.tar.gz"
    with app.app_context():
        backup.backup(archive)
        signing_key = backup._signing_key_pem()
    with trainees.lock:
        during_backup = len(trainees.acknowledged) - len(before_backup)
    for thread in threads:
        thread.join(timeout=120)
    assert not trainees.failures, trainees.failures
    assert before_backup and during_backup >= 0
    assert len(trainees.acknowledged) == TRAINEES * QUESTIONS
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as members:  # the database inside is the owner's only too
        assert {oct(m.mode) for m in members.getmembers()} == {"0o600"}

    secrets = tmp_path / "secrets"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": "another-secret",
        "PARTYSCHOOL_ENV": "development",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "restore",  # no --yes: without a terminal, a script restores as told
            str(archive),
            "--secrets-dir",
            str(secrets),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (secrets / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert (secrets / signing.KEY_FILE_NAME).read_bytes() == signing_key

    restored = create_engine(fresh_database_url)
    try:
        with Session(restored) as fresh:
            found = kit.stored(fresh, setup.exam_id)
            assert kit.lost(before_backup, found) == []
            # A snapshot taken mid-exam: later answers are not in it, earlier ones all are.
            assert len(before_backup) <= len(found.answers) < len(trainees.acknowledged)
    finally:
        restored.dispose()


def test_a_backup_of_another_kind_of_database_is_refused(app, tmp_path):
    archive = tmp_path / "b.tar.gz"
    made = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.exit_code == 0 and "backed up the" in made.output, made.output
    with app.app_context():
        other = "postgresql" if db.engine.dialect.name == "sqlite" else "sqlite"
        import io
        import json
        import tarfile

        with tarfile.open(archive, "r:gz") as original:
            members = {m.name: original.extractfile(m).read() for m in original.getmembers()}
        manifest = json.loads(members["manifest.json"])
        manifest["database"] = other
        with tarfile.open(archive, "w:gz") as forged:
            for name, data in {**members, "manifest.json": json.dumps(manifest).encode()}.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                forged.addfile(info, io.BytesIO(data))
        with pytest.raises(backup.BackupError, match="backup of a"):
            backup.restore(archive)
