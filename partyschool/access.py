"""The one authorization mechanism: every route declares who may use it, or nobody can.

A view states its rule with `@public`, `@signed_in` or `@allow(Role...)`. The before-request
hook `enforce` looks the rule up for the matched endpoint and denies by default (a view on a
hot path may check it inside the one statement it writes with: see `allow`). Records of a
branch school are scoped with `scope_to_user` (queries) and `require_school` (single objects).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select, or_
from sqlalchemy.orm import InstrumentedAttribute

from partyschool.accounts.models import Role, User
from partyschool.extensions import MAX_ID, csrf, db
from partyschool.organization.models import PartySchool

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    """Who may call a route: anyone, any signed-in user, or some roles."""

    is_public: bool = False
    roles: frozenset[Role] | None = None
    checks_csrf: bool = True
    checked_in_statement: bool = False

    def admits(self, user) -> bool:
        """True when this user may call the route."""
        if self.is_public:
            return True
        if not user.is_authenticated:
            return False
        return self.roles is None or user.role in self.roles


PUBLIC = Rule(is_public=True)
SIGNED_IN = Rule()
# Exchanging credentials for a token needs no session, so it has nothing to forge; it only
# accepts application/json, which a cross-site form cannot send.
CREDENTIALS = Rule(is_public=True, checks_csrf=False)


def _declare(rule: Rule) -> Callable:
    def decorator(view: Callable) -> Callable:
        view.access_rule = rule
        return view

    return decorator


public = _declare(PUBLIC)
signed_in = _declare(SIGNED_IN)
takes_credentials = _declare(CREDENTIALS)


def allow(*roles: Role, checked_in_statement: bool = False) -> Callable:
    """Declare that only these roles may call the decorated view.

    With `checked_in_statement`, a request that claims an identity (`claim`) reaches the view
    unchecked, and the view checks it inside the one statement it writes with (the claimed
    user must be active and of these roles: `accounts.login.claimed_user_ids`); when that
    statement writes nothing, the view calls `admit()` before anything else. The user is
    then never loaded on the path that succeeds. The CSRF check stays in `enforce`."""
    return _declare(Rule(roles=frozenset(roles), checked_in_statement=checked_in_statement))


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    """The access rule declared for an endpoint, or None when it has none."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None) or app.extensions["access_rules"].get(endpoint)


def is_api_request() -> bool:
    """True for the JSON API, which answers in JSON and accepts bearer tokens."""
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    """The bearer token of this request, if it sends one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Claim:
    """Who a request says it is, before anything checks it: a bearer token, or else the
    identity its signed session carries (`User.get_id`: "id:version")."""

    token: str | None = None
    session_identity: str | None = None


def claim() -> Claim | None:
    """The identity this request claims, if any; Flask-Login judges it the same way (a
    request with a token by the token alone)."""
    token = bearer_token()
    if token is not None:
        return Claim(token=token)
    identity = session.get("_user_id")
    return Claim(session_identity=identity) if isinstance(identity, str) else None


def _refusal(rule: Rule):
    """None when the rule admits the current user; else the answer (or abort)."""
    if rule.admits(current_user):
        return None
    if current_user.is_authenticated:
        abort(403)
    if is_api_request():
        abort(401)
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def admit() -> None:
    """The check `enforce` left to a view that checks in its statement (see `allow`), for
    when that statement found nobody to write for: 401, 403, or nothing."""
    refused = _refusal(rule_for(current_app, request.endpoint))
    if refused is not None:
        abort(refused)


def enforce() -> None:
    """Before every request: deny unless the endpoint's rule admits the current user."""
    if request.endpoint is None:
        return  # routing failed; the 404/405 handler answers
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule", request.endpoint)
        abort(403)
    # Who may call comes first: an anonymous API call is told to authenticate (401), not
    # that its CSRF token is missing.
    if not (rule.checked_in_statement and claim() is not None):
        refused = _refusal(rule)
        if refused is not None:
            return refused
    # Cross-site pages cannot send an Authorization header, so token calls need no CSRF token.
    if (
        request.method not in SAFE_METHODS
        and rule.checks_csrf
        and bearer_token() is None
        and current_app.config["WTF_CSRF_ENABLED"]
    ):
        try:
            csrf.protect()
        except CSRFError:
            admit()  # who is asking still comes first where the view was to check it
            raise


def init_app(app: Flask) -> None:
    """Install the access hook and the rules of endpoints Flask itself defines."""
    app.extensions["access_rules"] = {"static": PUBLIC}
    app.before_request(enforce)


def can_see_school(user: User, party_school_id: int | None) -> bool:
    """True when the user works for the school level or for this party school."""
    return user.has_school_scope or user.party_school_id == party_school_id


def can_view_shared(user: User, party_school: PartySchool) -> bool:
    """True when the user may see a record of this school: their own school's, or the school
    level's, which serves every branch (the course library, shared banks and papers)."""
    return party_school.is_school_level or can_see_school(user, party_school.id)


def require_school(party_school_id: int | None) -> None:
    """Answer 404 for a record of another branch school, as if it did not exist."""
    if not can_see_school(current_user, party_school_id):
        abort(404)


def get_scoped(
    model,
    record_id: int,
    school_of: Callable[[Any], PartySchool] | None = None,
    *,
    shared: bool = False,
    editable: bool = False,
):
    """The record with this id, or 404 when there is none or another branch school's, or 403
    when `editable` is asked and the user may only read it.

    `school_of(record)` names its party school (default: `record.party_school`); `shared`
    records of the school level are visible to every branch but editable only at that level.
    """
    # Ids past SQLite's 64-bit integers cannot name a row; they are not an error either.
    record = db.session.get(model, record_id) if 0 < record_id <= MAX_ID else None
    if record is None:
        abort(404)
    school = school_of(record) if school_of else record.party_school
    visible = can_view_shared if shared else lambda user, s: can_see_school(user, s.id)
    if not visible(current_user, school):
        abort(404)
    if editable and not can_see_school(current_user, school.id):
        abort(403)
    return record


def school_scope(user: User | None = None) -> int | None:
    """The party school whose records the user works on; None for the school level (all)."""
    user = user or current_user
    return None if user.has_school_scope else user.party_school_id


def scope_to_user(stmt: Select, column: InstrumentedAttribute, user: User | None = None) -> Select:
    """Restrict a query to the party school of the user, unless they see the whole school."""
    school_id = school_scope(user)
    return stmt if school_id is None else stmt.where(column == school_id)


def shared_with(
    stmt: Select, school_column: InstrumentedAttribute, school_id: int | None
) -> Select:
    """Rows of one party school and of the school level, which serves every branch; with
    `school_id` None, every school's rows. Joins `PartySchool` for ordering by level."""
    stmt = stmt.join(PartySchool, PartySchool.id == school_column)
    if school_id is None:
        return stmt
    return stmt.where(or_(school_column == school_id, PartySchool.parent_id.is_(None)))
