"""The per-account sign-in lock: failures counted in the database, so every worker and server
behind the proxy sees the same count, with or without Redis.

Failures are counted per account whatever address they come from; `ACCOUNT_LOCK_FAILURES` of
them within `ACCOUNT_LOCK_MINUTES` lock the account for as long, even against the right
password. Locking and clearing are audited; the count itself is not a fact worth a trail entry.
"""

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import ForeignKey, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited, set_reason
from partyschool.extensions import db

DEFAULT_FAILURES = 10
DEFAULT_MINUTES = 15


class SignInLock(Audited, db.Model):
    """Recent failed sign-ins of one account, and until when it is locked."""

    __tablename__ = "sign_in_locks"
    audit_ignores = frozenset({"failures", "window_started_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]

    user: Mapped[User] = relationship()


def _policy() -> tuple[int, timedelta]:
    config = current_app.config if has_app_context() else {}
    failures = config.get("ACCOUNT_LOCK_FAILURES", DEFAULT_FAILURES)
    return failures, timedelta(minutes=config.get("ACCOUNT_LOCK_MINUTES", DEFAULT_MINUTES))


def lock_of(session: Session, user: User) -> SignInLock | None:
    """The account's lock row, if it ever failed to sign in."""
    return session.scalar(select(SignInLock).where(SignInLock.user_id == user.id))


def locked_until(session: Session, user: User, now: datetime) -> datetime | None:
    """Until when the account refuses every password, or None when it does not."""
    lock = lock_of(session, user)
    return lock.locked_until if lock and lock.locked_until and lock.locked_until > now else None


def locked_user_ids(session: Session, now: datetime) -> set[int]:
    """The accounts locked right now, for the administrators' list."""
    stmt = select(SignInLock.user_id).where(SignInLock.locked_until > now)
    return set(session.scalars(stmt))


def record_failure(session: Session, user: User, now: datetime) -> None:
    """Count a wrong password; the failure that reaches the limit locks the account."""
    threshold, period = _policy()
    if lock_of(session, user) is None:
        try:
            with session.begin_nested():
                session.add(SignInLock(user_id=user.id, failures=0, window_started_at=now))
        except IntegrityError:
            pass  # another worker made it first; count on its row
    # One atomic statement, so failures racing through several workers are all counted.
    window_over = SignInLock.window_started_at <= now - period
    failures = session.execute(
        update(SignInLock)
        .where(SignInLock.user_id == user.id)
        .values(
            failures=case((window_over, 1), else_=SignInLock.failures + 1),
            window_started_at=case((window_over, now), else_=SignInLock.window_started_at),
        )
        .returning(SignInLock.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures >= threshold:
        lock = lock_of(session, user)
        session.refresh(lock)
        lock.failures, lock.locked_until = 0, now + period
        set_reason(session, f"连续 {failures} 次密码错误，自动锁定")
        session.flush()


def record_success(session: Session, user: User) -> None:
    """A right password (outside a lock) forgets the failures before it."""
    session.execute(
        update(SignInLock)
        .where(SignInLock.user_id == user.id, SignInLock.failures > 0)
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )


def clear(session: Session, user: User) -> bool:
    """An administrator lifts the lock (audited); False when there was none."""
    lock = lock_of(session, user)
    if lock is None or (lock.locked_until is None and not lock.failures):
        return False
    lock.failures, lock.locked_until = 0, None
    set_reason(session, "管理员解除登录锁定")
    session.flush()
    return True
