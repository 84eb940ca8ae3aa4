"""The navigation bar every package adds to, safe return links, and display filters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, url_for
from flask_login import current_user

from partyschool.accounts.models import ADMINS, ORGANIZERS, TRAINEES, Role
from partyschool.extensions import BEIJING


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar, shown to some roles."""

    label: str
    endpoint: str
    roles: frozenset[Role]
    # A further condition on the user (the graduate branch's pages), or None.
    when: Callable | None = None

    def shows_to(self, user) -> bool:
        """True when this user's role, and the further condition if any, admit the entry."""
        return user.role in self.roles and (self.when is None or self.when(user))


# Feature packages append their entries with `add_nav`; the order here is the bar's order.
NAVIGATION: list[NavItem] = []


def add_nav(label: str, endpoint: str, *roles: Role, when: Callable | None = None) -> None:
    """Show a link in the navigation bar to these roles (and only users `when` admits)."""
    NAVIGATION.append(NavItem(label, endpoint, frozenset(roles), when))


# The core's entries come first; feature packages add theirs when their views are imported.
add_nav("首页", "web.home", *Role)
add_nav("发展档案", "candidates.index", *ORGANIZERS)
add_nav("我的档案", "record.my_record", *TRAINEES)
add_nav("分党校", "organization.schools", Role.SCHOOL_ADMIN)
add_nav("账号管理", "accounts.users", *ADMINS)


def safe_next(target: str | None) -> str:
    """A same-site path to go to (after sign-in, or back to a list); anything else goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("web.home")
    return target


def format_datetime(value: datetime) -> str:
    """A timestamp in Beijing time, as people here read it."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def navigation() -> dict:
    """The navigation entries of the signed-in user's role."""
    if not current_user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": [item for item in NAVIGATION if item.shows_to(current_user)]}


def init_app(app: Flask) -> None:
    """Give every template the navigation bar and the `datetime` filter."""
    app.add_template_filter(format_datetime, "datetime")
    app.context_processor(navigation)
