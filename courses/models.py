"""Courses and lessons, training classes and their lectures, enrolments, study and reports."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import Stage
from partyschool.extensions import db, enum_column, utcnow
from partyschool.organization.models import PartySchool


class Course(db.Model):
    """A course (课程) of the school level or one branch school, for a target stage."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    target_stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    required_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    # The school-library course this one was copied from, if any.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_school: Mapped[PartySchool] = relationship()
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="course", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class Lesson(db.Model):
    """A lesson (课时): sanitized Markdown, a video, attachments, and a required study time."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    video_file: Mapped[str | None] = mapped_column(String(100))  # a generated name in uploads/
    video_url: Mapped[str | None] = mapped_column(String(500))
    # The uploaded video's length, read from the file on upload (None: unknown).
    video_seconds: Mapped[int | None]
    required_minutes: Mapped[int] = mapped_column(default=45)

    course: Mapped[Course] = relationship(back_populates="lessons")
    attachments: Mapped[list["Attachment"]] = relationship(cascade="all, delete-orphan")


class Attachment(db.Model):
    """A file attached to a lesson, stored under a generated name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]


class_instructors = Table(
    "class_instructors",
    db.metadata,
    Column("class_id", ForeignKey("training_classes.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class TrainingClass(db.Model):
    """One run of a course by a branch school (培训班), e.g. 第35期入党积极分子培训班."""

    __tablename__ = "training_classes"
    __table_args__ = (UniqueConstraint("party_school_id", "name", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[int]  # 第N期
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    capacity: Mapped[int]
    enrol_opens_on: Mapped[date]
    enrol_closes_on: Mapped[date]
    head_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Grade weights in percent (平时/实践/考试) and the pass rule.
    usual_weight: Mapped[int] = mapped_column(default=20)
    practice_weight: Mapped[int] = mapped_column(default=20)
    exam_weight: Mapped[int] = mapped_column(default=60)
    pass_mark: Mapped[int] = mapped_column(default=60)
    requires_study_hours: Mapped[bool] = mapped_column(default=True)
    report_min_chars: Mapped[int] = mapped_column(default=1500)  # 0: no reading report
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    party_school: Mapped[PartySchool] = relationship()
    head_teacher: Mapped[User | None] = relationship()
    instructors: Mapped[list[User]] = relationship(secondary=class_instructors)
    lectures: Mapped[list["Lecture"]] = relationship(
        order_by="Lecture.starts_at", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        """The name people use: 第35期入党积极分子培训班."""
        return f"第{self.number}期{self.name}"


class Lecture(db.Model):
    """An offline lecture of a class: when, where, and the hours it counts."""

    __tablename__ = "lectures"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("training_classes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    # Secret of the sign-in QR code, which changes every minute (a TOTP-like code).
    sign_in_secret: Mapped[str] = mapped_column(String(64))


class EnrolmentStatus(StrEnum):
    """Where an application to a class stands."""

    PENDING = "pending"
    WAITLISTED = "waitlisted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The Chinese name of the status."""
        return {
            "pending": "待审核",
            "waitlisted": "候补",
            "approved": "已录取",
            "rejected": "未录取",
            "withdrawn": "已退出",
        }[self]


class Enrolment(Audited, db.Model):
    """A candidate's place in a training class (报名)."""

    audit_title = "培训班报名"
    audit_labels = MappingProxyType(
        {
            "status": "状态",
            "reason": "理由",
            "usual_score": "平时成绩",
            "practice_score": "实践成绩",
        }
    )

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("class_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("training_classes.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus))
    priority: Mapped[int] = mapped_column(default=0)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(500), default="")
    usual_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    practice_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))

    training_class: Mapped[TrainingClass] = relationship()
    candidate: Mapped[Candidate] = relationship()


class LessonProgress(db.Model):
    """Study time the server vouches for, per trainee and lesson."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    seconds: Mapped[int] = mapped_column(default=0)
    video_position: Mapped[int] = mapped_column(default=0)
    # Time the video was playing, by the server's clock, capped at the video's length.
    video_watched_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudyLease(db.Model):
    """The one lesson a user is studying now, and the last heartbeat the server accepted.

    One row per user: opening a second lesson takes the lease, so two tabs never both count.
    """

    __tablename__ = "study_leases"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    page_token: Mapped[str] = mapped_column(String(64))
    last_beat_at: Mapped[datetime]
    last_sequence: Mapped[int] = mapped_column(default=0)


class Attendance(db.Model):
    """Presence at an offline lecture, by QR sign-in or the instructor's roll call."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("lecture_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lectures.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(16))  # qr, roll_call
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportStatus(StrEnum):
    """Where a reading report stands in review."""

    SUBMITTED = "submitted"
    PASSED = "passed"
    RETURNED = "returned"


class ReadingReport(db.Model):
    """A trainee's reading report (学习心得) and its review."""

    __tablename__ = "reading_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    # MinHash signature (JSON list of ints) so later reports compare without re-shingling.
    signature: Mapped[list[int]] = mapped_column(JSON)
    similarity: Mapped[float] = mapped_column(default=0.0)
    similar_to_id: Mapped[int | None] = mapped_column(ForeignKey("reading_reports.id"))
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.SUBMITTED
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()


class ReportDraft(db.Model):
    """A reading report being written, kept on the server when the trainee asks (one each)."""

    __tablename__ = "report_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(db.Model):
    """A notice (通知公告) on a branch school's home page."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
