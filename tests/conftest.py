"""Fixtures: one migrated database per run (SQLite, or PostgreSQL via TEST_DATABASE_URL),
emptied after every test; an app, a test client with sign-in helpers, and a session."""

import os
import re

import flask_migrate
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.orm import Session

from partyschool.accounts import services as account_services
from partyschool.accounts.models import Role
from partyschool.app.cli import seed_everything
from partyschool.app.factory import create_app
from partyschool.extensions import db, limiter
from tests.factories import PASSWORD, make_branch_school, make_user

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """PostgreSQL when the harness gives one, else a SQLite file shared by threads."""
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    # Fast argon2 parameters: the same code path, a fraction of the cost per test user.
    account_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "SQLITE_BUSY_TIMEOUT_MS": 10_000,
            # The demo data uploads documents: never into the working tree's instance folder.
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            # The suite's throwaway database need not survive a power cut (FULL: +4 ms a commit).
            "SQLITE_SYNCHRONOUS": "NORMAL",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_database() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(_app):
    """The application, with an empty database and fresh rate limits."""
    yield _app
    with _app.app_context():
        db.session.remove()
        _empty_database()
    limiter.reset()


@pytest.fixture
def session(app):
    """A session of the test's own, like another process would have.

    It holds no app context: requests of the test client push their own, so `g` and the
    request's session never leak between requests. Commit before a request reads the data.
    """
    with app.app_context():
        engine = db.engine
    with Session(engine, expire_on_commit=False) as test_session:
        yield test_session


class Client:
    """A test client that signs in like a person and sends the page's CSRF token."""

    def __init__(self, app):
        self.raw = app.test_client()

    def csrf_token(self, path: str = "/login") -> str:
        """The CSRF token a page of the site would embed."""
        page = self.raw.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD):
        """Sign in through the login form."""
        data = {"username": username, "password": password, "csrf_token": self.csrf_token()}
        return self.raw.post("/login", data=data)

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        return self.raw.post(path, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)

    def __getattr__(self, name):
        return getattr(self.raw, name)


@pytest.fixture
def client(app) -> Client:
    """A browser-like client of the app."""
    return Client(app)


@pytest.fixture
def token(client):
    """A function giving a bearer token for a username."""

    def issue(username: str, password: str = PASSWORD) -> str:
        response = client.raw.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    return issue


@pytest.fixture
def demo_data(app, session):
    """The demo data of `flask seed-demo`, committed."""
    with app.app_context():  # the rules engine reads the configured rule set
        seed_everything(session)
    session.commit()


@pytest.fixture
def school(session):
    """A branch school (code `d1`) with a branch admin `badmin` and an organizer `org`."""
    school = make_branch_school(session, code="d1")
    make_user(session, Role.BRANCH_ADMIN, school, username="badmin")
    make_user(session, Role.ORGANIZER, school, username="org")
    session.commit()
    return school
