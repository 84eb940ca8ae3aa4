"""Core API routes: tokens, the caller, and the OpenAPI document."""

from datetime import datetime

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from pydantic import BaseModel, Field

from partyschool.access import public, signed_in, takes_credentials
from partyschool.accounts import services as accounts
from partyschool.api.spec import ApiError, build_document, operation
from partyschool.extensions import db, limiter

bp = Blueprint("api", __name__, url_prefix="/api")


class TokenRequest(BaseModel):
    """Credentials exchanged for a bearer token."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    """A new bearer token, shown once."""

    token: str
    expires_at: datetime


class SchoolOut(BaseModel):
    """A party school as the API shows it."""

    code: str
    name: str
    is_school_level: bool


class MeOut(BaseModel):
    """The signed-in caller."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    party_school: SchoolOut


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3 document, generated from the declared operations."""
    return jsonify(build_document(current_app))


@bp.post("/v1/auth/token")
@takes_credentials
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@operation("用户名和密码换取访问令牌", body=TokenRequest, response=TokenOut, status=201, tag="auth")
def create_token(data: TokenRequest):
    """Exchange a username and password for a bearer token."""
    user = accounts.authenticate(db.session, data.username, data.password)
    db.session.commit()  # a failure counts against the account too
    if user is None:
        raise ApiError(401, "invalid_credentials", "用户名或密码错误")
    token, expires_at = accounts.issue_token(
        db.session, user, current_app.config["API_TOKEN_LIFETIME"]
    )
    db.session.commit()
    return TokenOut(token=token, expires_at=expires_at)


@bp.get("/v1/me")
@signed_in
@operation("当前用户", response=MeOut, tag="auth")
def me():
    """Who the caller is, their role and their party school."""
    school = current_user.party_school
    return MeOut(
        id=current_user.id,
        username=current_user.username,
        display_name=current_user.display_name,
        role=current_user.role,
        role_label=current_user.role.label,
        party_school=SchoolOut(
            code=school.code, name=school.name, is_school_level=school.is_school_level
        ),
    )
