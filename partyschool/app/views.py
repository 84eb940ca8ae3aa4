"""Home pages per role and the health check."""

from flask import Blueprint, jsonify, redirect, render_template, url_for
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


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database check for load balancers and monitors."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database=db.engine.dialect.name)
