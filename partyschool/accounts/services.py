"""Account operations: passwords, sign-in, tokens, and who may manage whom.

Functions take the SQLAlchemy session first and only flush; the caller commits.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from partyschool.accounts import locks
from partyschool.accounts.models import ADMINS, ApiToken, Role, User
from partyschool.extensions import utcnow
from partyschool.organization.models import PartySchool

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password")
# Stored instead of a hash for accounts made without a password (imported students): no
# password verifies against it until an administrator sets one.
UNUSABLE_PASSWORD = "!unusable"  # noqa: S105 - a marker, not a password
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 8


# The one answer to every refused sign-in: it tells an attacker nothing about the account.
SIGN_IN_REFUSED = "用户名或密码错误；多次失败后账号会暂时锁定，请稍后再试或联系管理员"


class AccountError(ValueError):
    """An account operation was refused; the message is shown to the user."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with these credentials, rehashing an outdated hash.

    A wrong password counts against the account (the caller commits, even on failure); a
    locked account refuses every password until the lock ends or an administrator clears it.
    The caller answers every refusal with the same message.
    """
    # No username holds a NUL, and PostgreSQL refuses to compare one: an unknown user.
    user = (
        None
        if "\x00" in username
        else session.scalar(select(User).where(User.username == username))
    )
    now = utcnow()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        if user is not None:
            locks.record_failure(session, user, now)
        return None
    if user is None or user.is_disabled or locks.locked_until(session, user, now):
        return None
    locks.record_success(session, user)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def check_scope(role: Role, school: PartySchool) -> None:
    """Refuse a role that does not fit the party school it would belong to."""
    if role is Role.SCHOOL_ADMIN and not school.is_school_level:
        raise AccountError("校党校管理员必须属于校党校")
    if role in (Role.BRANCH_ADMIN, Role.ACTIVIST) and school.is_school_level:
        raise AccountError(f"{role.label}必须属于一个分党校")


def check_password(password: str) -> None:
    """Refuse passwords too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")


def create_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    role: Role,
    school: PartySchool,
    display_name: str | None = None,
) -> User:
    """Create an account after checking its name, password and scope.

    Without a password the account cannot sign in until an administrator sets one; this is
    how imports create hundreds of accounts without hashing hundreds of random passwords.
    """
    if not USERNAME_PATTERN.match(username):
        raise AccountError("用户名只能包含字母、数字、下划线、点和连字符，长度 3–64")
    if session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(f"用户名 {username} 已存在")
    if password is not None:
        check_password(password)
    check_scope(role, school)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=UNUSABLE_PASSWORD if password is None else hash_password(password),
        role=role,
        party_school=school,
    )
    session.add(user)
    session.flush()
    return user


def end_sessions(user: User) -> None:
    """End every session and API token the user holds."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's own password and end their other sessions and tokens."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("当前密码不正确") from None
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    """Set a new password (by the user or an administrator) and end existing sessions."""
    check_password(new)
    user.password_hash = hash_password(new)
    end_sessions(user)


def set_disabled(user: User, is_disabled: bool) -> None:
    """Disable or re-enable an account; disabling ends its sessions and tokens."""
    user.is_disabled = is_disabled
    if is_disabled:
        end_sessions(user)


def digest_of(token: str) -> str:
    """What is stored of a token: its SHA-256 digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, lifetime: timedelta) -> tuple[str, datetime]:
    """Create an API token; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime
    session.add(
        ApiToken(
            user=user,
            digest=digest_of(token),
            session_version=user.session_version,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token, expires_at


# Built once: every API call asks it, and building the statement cost as much as running it.
_TOKEN_USER = (
    select(User, ApiToken.expires_at, ApiToken.session_version)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.digest == bindparam("digest"))
)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None when it is unknown or ended."""
    row = session.execute(_TOKEN_USER, {"digest": digest_of(token)}).first()
    if row is None:
        return None
    user, expires_at, session_version = row
    if user.is_disabled or expires_at <= utcnow() or session_version != user.session_version:
        return None
    return user


def manageable_roles(actor: User) -> list[Role]:
    """The roles an administrator may give to accounts they manage."""
    if actor.role is Role.SCHOOL_ADMIN:
        return list(Role)
    if actor.role is Role.BRANCH_ADMIN:
        return [Role.INSTRUCTOR, Role.ORGANIZER, Role.ACTIVIST]
    return []


def can_manage(actor: User, target: User) -> bool:
    """True when actor may edit target: school admins anyone, branch admins their branch."""
    if actor.role is Role.SCHOOL_ADMIN:
        return True
    return (
        actor.role is Role.BRANCH_ADMIN
        and target.party_school_id == actor.party_school_id
        and target.role not in ADMINS
    )
