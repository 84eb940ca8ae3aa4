"""How Flask-Login finds the user: a versioned session identity or a bearer token; and the
same check written as SQL, for a statement that checks who is asking inside itself."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import BindParameter, bindparam
from sqlalchemy.orm import joinedload

from partyschool import access
from partyschool.access import bearer_token
from partyschool.accounts.models import ApiToken, Role, User
from partyschool.accounts.services import digest_of, user_for_token
from partyschool.extensions import MAX_ID, db, login_manager


def load_session_user(identity: str) -> User | None:
    """The user of a session, if its version is still current and no token is sent."""
    if bearer_token() is not None:
        return None  # a request with a token is judged by the token alone
    user_id, _, version = identity.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id), options=[joinedload(User.party_school)])
    if user is None or user.session_version != int(version):
        return None
    return user


def load_token_user(request) -> User | None:
    """The user of a bearer token."""
    token = bearer_token()
    return user_for_token(db.session, token) if token else None


@dataclass(frozen=True)
class Claimed:
    """A request's claim: `claimed_user_ids(kind, roles)` checks it with `params`."""

    kind: str  # "token" or "session"
    roles: tuple[Role, ...]  # of the view's rule
    params: dict[str, Any]


def claimed(now: datetime) -> Claimed | None:
    """What this request claims, to be checked at `now` against its view's rule by
    `claimed_user_ids`; None when it claims nobody a statement could match."""
    claim = access.claim()
    if claim is None:
        return None
    if claim.token is not None:
        kind, params = "token", {"claim_digest": digest_of(claim.token), "claim_now": now}
    else:
        user_id, _, version = (claim.session_identity or "").partition(":")
        if not (_is_id(user_id) and _is_id(version)):
            return None
        kind, params = "session", {"claim_user_id": int(user_id), "claim_version": int(version)}
    roles = access.rule_for(current_app, request.endpoint).roles or Role
    return Claimed(kind, tuple(sorted(roles)), params)


def _is_id(text: str) -> bool:
    return text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID


@cache
def claimed_user_ids(kind: str, roles: tuple[Role, ...]) -> tuple[str, tuple[BindParameter, ...]]:
    """SQL selecting the id of the user a request claims to be, when the claim holds as
    `load_token_user` or `load_session_user` and `access.enforce` judge it — a current token
    or session version, an account not disabled, one of these roles — with the typed
    parameters it takes (`Claimed.params`). The roles are written in: names of ours, and a
    list parameter cost a tenth of a save."""
    tokens = ApiToken.__table__.c
    claims = {
        "token": "SELECT users.id FROM users JOIN api_tokens ON api_tokens.user_id = users.id"
        " WHERE api_tokens.digest = :claim_digest AND api_tokens.expires_at > :claim_now"
        " AND api_tokens.session_version = users.session_version",
        "session": "SELECT users.id FROM users"
        " WHERE users.id = :claim_user_id AND users.session_version = :claim_version",
    }
    listed = ", ".join(f"'{role.value}'" for role in roles)
    sql = f"{claims[kind]} AND users.is_disabled = false AND users.role IN ({listed})"
    if kind == "token":
        return sql, (bindparam("claim_now", type_=tokens.expires_at.type),)
    return sql, ()


def init_login(app: Flask) -> None:
    """Configure Flask-Login."""
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "basic"
