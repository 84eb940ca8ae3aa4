"""Home pages per role, navigation, the health check, and the Chinese names of errors."""

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select, text

from partyschool.access import public, scope_to_user
from partyschool.accounts.models import ADMINS, ORGANIZERS, Role, User
from partyschool.extensions import BEIJING, db
from partyschool.organization.models import PartySchool

bp = Blueprint("web", __name__)

ERROR_MESSAGES = {
    400: "请求无效",
    401: "需要登录",
    403: "没有权限访问此页面",
    404: "页面不存在",
    405: "不支持此请求方式",
    413: "上传的内容过大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
}


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar, shown to some roles."""

    label: str
    endpoint: str
    roles: frozenset[Role]


# Feature packages append their entries with `add_nav`; the order here is the bar's order.
NAVIGATION: list[NavItem] = []


def add_nav(label: str, endpoint: str, *roles: Role) -> None:
    """Show a link in the navigation bar to these roles."""
    NAVIGATION.append(NavItem(label, endpoint, frozenset(roles)))


add_nav("首页", "web.home", *Role)
add_nav("发展档案", "candidates.index", *ORGANIZERS)
add_nav("我的档案", "record.my_record", Role.ACTIVIST)
add_nav("分党校", "organization.schools", Role.SCHOOL_ADMIN)
add_nav("账号管理", "accounts.users", *ADMINS)


@bp.app_template_filter("datetime")
def format_datetime(value: datetime) -> str:
    """A timestamp in Beijing time, as people here read it."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


@bp.app_context_processor
def navigation() -> dict:
    """The navigation entries of the signed-in user's role."""
    if not current_user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": [item for item in NAVIGATION if current_user.role in item.roles]}


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
