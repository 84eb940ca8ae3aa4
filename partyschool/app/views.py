"""Home pages per role and the health check."""

import redis
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select, text

from partyschool.access import public, scope_to_user
from partyschool.accounts.models import ORGANIZERS, Role, User
from partyschool.extensions import db
from partyschool.organization.models import PartySchool

bp = Blueprint("web", __name__)


def accounts_by_school_and_role(user: User) -> dict[PartySchool, dict[Role, int]]:
    """How many accounts of each role each visible party school has."""
    stmt = scope_to_user(
        select(PartySchool, User.role, func.count(User.id))
        .join(User, User.party_school_id == PartySchool.id)
        .group_by(PartySchool.id, User.role)
        .order_by(PartySchool.id),
        PartySchool.id,
        user,
    )
    table: dict[PartySchool, dict[Role, int]] = {}
    for school, role, count in db.session.execute(stmt):
        table.setdefault(school, {})[role] = count
    return table


@bp.get("/")
@public
def home():
    """The signed-in user's home page, which depends on their role."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    context = {}
    if current_user.role in ORGANIZERS:
        context["counts"] = accounts_by_school_and_role(current_user)
    return render_template(f"web/home_{current_user.role.value}.html", roles=list(Role), **context)


def _redis_answers(url: str) -> bool:
    """True when the Redis server of the rate limits answers a PING within a second."""
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@bp.get("/healthz")
@public
def healthz():
    """Each dependency's state for load balancers and monitors.

    `ok` when all answer; `degraded` (still 200: the site serves, with per-process rate
    limits) when Redis is down; `error` (503) when the database is.
    """
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        checks["database"] = "unreachable"
        return jsonify(status="error", database="unreachable", checks=checks), 503
    checks["database"] = "ok"
    storage = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith(("redis://", "rediss://")):
        checks["redis"] = "ok" if _redis_answers(storage) else "unreachable"
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    return jsonify(status=status, database=db.engine.dialect.name, checks=checks)
