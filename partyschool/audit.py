"""The append-only audit trail: who changed what, when, with the values before and after.

Models that inherit `Audited` are watched by one session hook; views and services never write
audit rows themselves, so no change can forget to. The actor is the signed-in user, or the one
named with `acting_as` (commands, imports).
"""

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from partyschool.extensions import db, utcnow

REDACTED = "（已更改）"
ACTIONS = {"create": "新增", "update": "修改", "delete": "删除"}

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

    actor: Mapped["User | None"] = relationship("User")  # noqa: F821 - by name: accounts audits too


class Audited:
    """Mixin: every insert, update and delete of this model is written to the audit trail."""

    # Columns derived from others (caches): their changes are not facts worth a trail entry.
    audit_ignores: frozenset[str] = frozenset()
    # Columns whose values never enter the trail (a password hash): only that they changed.
    audit_redacted: frozenset[str] = frozenset()
    # The record's Chinese name and its columns', for the change log people read.
    audit_title: str = ""
    audit_labels: Mapping[str, str] = MappingProxyType({})

    def audit_candidate_id(self) -> int | None:
        """The candidate whose record this row belongs to."""
        return getattr(self, "candidate_id", None)

    def audit_wanted(self) -> bool:
        """False for a row whose change is not a decision (an answer saved, not graded)."""
        return True


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


def _kept(obj, key: str, value: Any) -> Any:
    """The value as the trail keeps it: plain, or only marked when it is a secret."""
    if key in obj.audit_redacted:
        return None if value is None else REDACTED
    return _plain(value)


def _values(obj, attribute: str) -> dict:
    state, columns = _columns(obj)
    values = {}
    for column in columns:
        history = state.attrs[column.key].history
        if attribute == "before":
            old = history.deleted or history.unchanged
            values[column.key] = _kept(obj, column.key, old[0]) if old else None
        else:
            new = history.added or history.unchanged
            values[column.key] = _kept(obj, column.key, new[0]) if new else None
    return values


def _changed(obj) -> tuple[dict, dict]:
    state, columns = _columns(obj)
    before, after = {}, {}
    for column in columns:
        history = state.attrs[column.key].history
        if history.has_changes():
            before[column.key] = (
                _kept(obj, column.key, history.deleted[0]) if history.deleted else None
            )
            after[column.key] = _kept(obj, column.key, history.added[0]) if history.added else None
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
        if isinstance(obj, Audited) and obj.audit_wanted():
            rows.append((obj, "create", None, _values(obj, "after")))
    for obj in session.dirty:
        if isinstance(obj, Audited) and obj.audit_wanted() and session.is_modified(obj):
            before, after = _changed(obj)
            if after:
                rows.append((obj, "update", before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited) and obj.audit_wanted():
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


@dataclass(frozen=True)
class Change:
    """One column of an audit event, as people read it."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """An audit event in Chinese: who did what to which record, with each changed value."""

    event: AuditEvent
    title: str
    action: str
    changes: list[Change]


def _model_of(table_name: str) -> type | None:
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table_name:
            return mapper.class_
    return None


def _readable(model: type | None, key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key in getattr(model, "audit_redacted", ()):
        return REDACTED  # an entry written before the field was redacted shows no value either
    if isinstance(value, bool):
        return "是" if value else "否"
    column = getattr(model, key, None) if model else None
    enum_class = getattr(getattr(column, "type", None), "enum_class", None)
    if enum_class is not None and hasattr(enum_class, "label"):
        try:
            return enum_class(value).label
        except ValueError:
            pass
    labels = getattr(model, "audit_value_labels", {}).get(key, {})
    return labels.get(value, str(value))


def describe(event: AuditEvent) -> Entry:
    """The event in the words of the record's labels, not its column names and raw values."""
    model = _model_of(event.table_name)
    title = getattr(model, "audit_title", "") or event.table_name
    labels = getattr(model, "audit_labels", {})
    values = event.after if event.action != "delete" else event.before
    before = event.before or {}
    keys = [k for k in (values or {}) if k in labels]
    changes = [
        Change(
            labels[key],
            _readable(model, key, before.get(key)) if event.action == "update" else "",
            _readable(model, key, (values or {}).get(key)),
        )
        for key in keys
    ]
    return Entry(event, title, ACTIONS.get(event.action, event.action), changes)
