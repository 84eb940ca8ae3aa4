"""The append-only audit trail: who changed what, when, with the values before and after.

Models that inherit `Audited` are watched by one session hook; views and services never write
audit rows themselves, so no change can forget to. The actor is the signed-in user, or the one
named with `acting_as` (commands, imports).
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.extensions import db, utcnow

_actor_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("audit_actor", default=None)


class AuditEvent(db.Model):
    """One change to an audited record. Never updated, never deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int]
    # The candidate the change belongs to, so a candidate's timeline is one indexed query.
    candidate_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(16))  # create, update, delete
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(500))

    actor: Mapped["User | None"] = relationship()


class Audited:
    """Mixin: every insert, update and delete of this model is written to the audit trail."""

    # Columns derived from others (caches): their changes are not facts worth a trail entry.
    audit_ignores: frozenset[str] = frozenset()

    def audit_candidate_id(self) -> int | None:
        """The candidate whose record this row belongs to."""
        return getattr(self, "candidate_id", None)


@contextmanager
def acting_as(user_id: int | None) -> Iterator[None]:
    """Attribute changes made inside the block to this user (for commands and imports)."""
    token = _actor_id.set(user_id)
    try:
        yield
    finally:
        _actor_id.reset(token)


def _actor() -> int | None:
    if (explicit := _actor_id.get()) is not None:
        return explicit
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj):
    state = inspect(obj)
    return state, [c for c in state.mapper.column_attrs if c.key not in obj.audit_ignores]


def _values(obj, attribute: str) -> dict:
    state, columns = _columns(obj)
    values = {}
    for column in columns:
        history = state.attrs[column.key].history
        if attribute == "before":
            old = history.deleted or history.unchanged
            values[column.key] = _plain(old[0]) if old else None
        else:
            new = history.added or history.unchanged
            values[column.key] = _plain(new[0]) if new else None
    return values


def _changed(obj) -> tuple[dict, dict]:
    state, columns = _columns(obj)
    before, after = {}, {}
    for column in columns:
        history = state.attrs[column.key].history
        if history.has_changes():
            before[column.key] = _plain(history.deleted[0]) if history.deleted else None
            after[column.key] = _plain(history.added[0]) if history.added else None
    return before, after


def _refuse_audit_rewrites(session: Session, flush_context, instances) -> None:
    """The trail is append-only."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit events cannot be changed or deleted")


def _write_audit_trail(session: Session, flush_context) -> None:
    """Write one audit event for each audited row inserted, updated or deleted."""
    if getattr(flush_context, "is_audited", False):
        return  # the listener is on two targets; a session may reach it through both
    flush_context.is_audited = True
    actor, reason = _actor(), session.info.pop("audit_reason", None)
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append((obj, "create", None, _values(obj, "after")))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            before, after = _changed(obj)
            if after:
                rows.append((obj, "update", before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append((obj, "delete", _values(obj, "before"), None))
    if rows:
        session.connection().execute(
            AuditEvent.__table__.insert(),
            [
                {
                    "at": utcnow(),
                    "actor_id": actor,
                    "table_name": obj.__tablename__,
                    "row_id": obj.id,
                    "candidate_id": obj.audit_candidate_id(),
                    "action": action,
                    "before": before,
                    "after": after,
                    "reason": reason,
                }
                for obj, action, before, after in rows
            ],
        )


# Flask-SQLAlchemy made its Session subclass before this module could listen, and whether a
# listener on the base class reaches that subclass depends on what was instantiated first.
for _target in (Session, db.session):
    event.listen(_target, "before_flush", _refuse_audit_rewrites)
    event.listen(_target, "after_flush", _write_audit_trail)


def set_reason(session: Session, reason: str) -> None:
    """Attach a written reason (an override, a revocation) to the next flush's audit events."""
    session.info["audit_reason"] = reason
