"""Migrations, demo data, configuration and SQLite concurrency."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from partyschool import config
from partyschool.accounts.models import User
from partyschool.app.demo import ACCOUNTS
from partyschool.extensions import db


def test_migrations_from_empty_match_the_models(app):
    """The fixture built the schema by running every migration; nothing may differ."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, db.metadata) == []


def test_seed_demo_is_idempotent_and_every_demo_account_signs_in(app, client, session):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert session.scalar(select(func.count(User.id))) == len(ACCOUNTS)
    for username, *_ in ACCOUNTS:
        fresh = type(client)(app)
        assert fresh.login(username, "partyschool-demo").status_code == 302, username
        assert 'data-testid="home-title"' in fresh.get("/").get_data(as_text=True)


def test_seed_demo_if_empty_leaves_a_used_database_alone(app, session):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already has data" in result.output


def test_secret_key_is_generated_once_in_development(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PARTYSCHOOL_ENV", raising=False)
    first = config.from_environment(tmp_path)["SECRET_KEY"]
    assert first == config.from_environment(tmp_path)["SECRET_KEY"] and len(first) > 40


def test_production_requires_a_secret_key_and_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PARTYSCHOOL_ENV", "production")
    with pytest.raises(config.ConfigError):
        config.from_environment(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/partyschool")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dangxiao.example.edu.cn")
    monkeypatch.setenv("CERT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    settings = config.from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


def test_postgres_urls_use_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/partyschool")
    url = config.from_environment(tmp_path)["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://u:p@db/partyschool"


def test_concurrent_writes_never_fail_with_database_locked(app, client, session):
    """Many threads change passwords at once: each POST waits for the lock, none fails."""
    from tests.factories import make_user

    names = [f"writer{i}" for i in range(12)]
    for name in names:
        make_user(session, username=name)
    session.commit()
    clients = {name: type(client)(app) for name in names}
    for name, c in clients.items():
        c.login(name)
    statuses: list[int] = []

    def change(name):
        form = {"current": "correct-horse-42", "new": "brand-new-pw-1", "confirm": "brand-new-pw-1"}
        statuses.append(clients[name].post("/account/password", form).status_code)

    threads = [threading.Thread(target=change, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * len(names)


def test_the_served_app_keeps_what_building_it_made_out_of_full_collections(tmp_path):
    """`app.py` (what gunicorn serves) freezes the objects the app was built of, so the
    garbage collector's full scans skip them: with them, each scan stopped every thread of a
    worker for 0.1-0.2 s under exam load."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", "import gc, app; print(gc.get_freeze_count())"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) > 100_000
