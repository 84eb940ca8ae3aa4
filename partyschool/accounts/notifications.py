"""Notifications in the site (站内通知): what a user waits for, told once it happens.

The services that make a change call `notify`; it only adds a row, the caller commits.
"""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from partyschool.accounts.models import Notification, User
from partyschool.extensions import utcnow

PAGE_SIZE = 50


def notify(session: Session, user: User | int | None, text: str, url: str = "") -> None:
    """Tell a user (or a user id) something in the site; nobody to tell (None) is fine."""
    user_id = user.id if isinstance(user, User) else user
    if user_id is not None:
        session.add(Notification(user_id=user_id, text=text[:500], url=url[:500]))


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread."""
    return session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def latest(session: Session, user: User) -> list[Notification]:
    """The user's newest notifications, unread first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.read_at.is_not(None), Notification.id.desc())
            .limit(PAGE_SIZE)
        )
    )


def open_notification(session: Session, user: User, notification_id: int) -> Notification | None:
    """The user's own notification, marked read; None when it is not theirs."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user.id:
        return None
    if found.read_at is None:
        found.read_at = utcnow()
    return found


def mark_all_read(session: Session, user: User) -> None:
    """Mark every notification of the user read."""
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
