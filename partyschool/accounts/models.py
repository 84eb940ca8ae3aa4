"""Users, their roles and their API tokens."""

from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.audit import Audited
from partyschool.extensions import db, enum_column, utcnow
from partyschool.organization.models import PartySchool


class Role(StrEnum):
    """What a user does here; the scope comes from the user's party school."""

    SCHOOL_ADMIN = "school_admin"
    BRANCH_ADMIN = "branch_admin"
    INSTRUCTOR = "instructor"
    ORGANIZER = "organizer"
    ACTIVIST = "activist"

    @property
    def label(self) -> str:
        """The Chinese name of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SCHOOL_ADMIN: "校党校管理员",
    Role.BRANCH_ADMIN: "分党校管理员",
    Role.INSTRUCTOR: "党校教师",
    Role.ORGANIZER: "组织员",
    Role.ACTIVIST: "学员",
}
# The role vocabulary: every permission names one of these sets, never a tuple of its own.
TRAINEES = frozenset({Role.ACTIVIST})
ADMINS = frozenset({Role.SCHOOL_ADMIN, Role.BRANCH_ADMIN})
# Keep development records and verify training (组织员 and the admins above them).
ORGANIZERS = ADMINS | {Role.ORGANIZER}
# Write courses, question banks and papers, run exams, review reports.
TEACHING_STAFF = ADMINS | {Role.INSTRUCTOR}
STAFF = frozenset(Role) - TRAINEES


class User(Audited, UserMixin, db.Model):
    """A person who signs in: staff of a party school or a trainee (学员)."""

    __tablename__ = "users"
    audit_ignores = frozenset({"last_login_at", "session_version", "created_at"})
    audit_redacted = frozenset({"password_hash"})
    audit_title = "账号"
    audit_labels = MappingProxyType(
        {
            "username": "用户名",
            "display_name": "姓名",
            "role": "角色",
            "is_disabled": "已停用",
            "password_hash": "密码",
        }
    )

    def audit_candidate_id(self) -> int | None:
        """An account is not a candidate's record."""
        return None

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    # Bumped to end every session and token of this user at once.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    party_school: Mapped[PartySchool] = relationship()

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses disabled accounts."""
        return not self.is_disabled

    @property
    def has_school_scope(self) -> bool:
        """True when the user works for the school-level party school and sees every branch."""
        return self.party_school.is_school_level

    def get_id(self) -> str:
        """The session identity carries the version, so bumping it ends old sessions."""
        return f"{self.id}:{self.session_version}"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class Notification(db.Model):
    """A message in the site for a user (站内通知), such as an enrolment decided; read once
    opened."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)
