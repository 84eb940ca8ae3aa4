"""How Flask-Login finds the user: a versioned session identity or a bearer token."""

from flask import Flask
from sqlalchemy.orm import joinedload

from partyschool.access import bearer_token
from partyschool.accounts.models import User
from partyschool.accounts.services import user_for_token
from partyschool.extensions import db, login_manager


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


def init_login(app: Flask) -> None:
    """Configure Flask-Login."""
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "basic"
