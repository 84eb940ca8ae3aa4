"""The 双向培养 file of a graduate student and its yearly evaluations."""

from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.models import Candidate
from partyschool.extensions import db, enum_column, utcnow


class Direction(StrEnum):
    """Which way a 双向培养 file cultivates (seed 002 §6)."""

    TO_MEMBER = "to_member"  # 把学业优秀的学生培养为党员
    TO_SCHOLAR = "to_scholar"  # 把党员学生培养为学业优秀的人才

    @property
    def label(self) -> str:
        """The Chinese name of the direction."""
        return DIRECTION_LABELS[self]


DIRECTION_LABELS = {Direction.TO_MEMBER: "培养成党员", Direction.TO_SCHOLAR: "培养成学术骨干"}


class Grade(StrEnum):
    """A yearly evaluation's grade."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASSING = "pass"
    FAIL = "fail"

    @property
    def label(self) -> str:
        """The Chinese name of the grade."""
        return GRADE_LABELS[self]


GRADE_LABELS = {
    Grade.EXCELLENT: "优秀",
    Grade.GOOD: "良好",
    Grade.PASSING: "合格",
    Grade.FAIL: "不合格",
}


class TwoWayFile(Audited, db.Model):
    """A graduate student's 双向培养 file (“双向培养”对象档案): the direction, the mentor (导师)
    and the goals, evaluated year by year."""

    __tablename__ = "two_way_files"
    audit_title = "双向培养档案"
    audit_labels = MappingProxyType(
        {"direction": "培养方向", "mentor": "导师", "goals": "培养目标", "started_on": "建档日期"}
    )
    audit_value_labels = MappingProxyType({"direction": DIRECTION_LABELS})

    id: Mapped[int] = mapped_column(primary_key=True)
    # One file per student: its direction is corrected, not duplicated.
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    mentor: Mapped[str] = mapped_column(String(100))
    goals: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[Candidate] = relationship()
    created_by: Mapped[User | None] = relationship()
    evaluations: Mapped[list["TwoWayEvaluation"]] = relationship(
        order_by="TwoWayEvaluation.year.desc()", cascade="all, delete-orphan", back_populates="file"
    )

    @property
    def latest(self) -> "TwoWayEvaluation | None":
        """The most recent year's evaluation, if any."""
        return self.evaluations[0] if self.evaluations else None


class TwoWayEvaluation(Audited, db.Model):
    """One year's evaluation of a 双向培养 file (年度考核)."""

    __tablename__ = "two_way_evaluations"
    audit_title = "双向培养年度评价"
    audit_labels = MappingProxyType(
        {
            "year": "年度",
            "grade": "等次",
            "evaluation": "评价",
            "evaluator": "评价人",
            "evaluated_on": "评价日期",
        }
    )
    audit_value_labels = MappingProxyType({"grade": GRADE_LABELS})
    __table_args__ = (
        UniqueConstraint("file_id", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("two_way_files.id", ondelete="CASCADE"))
    year: Mapped[int]
    grade: Mapped[Grade] = mapped_column(enum_column(Grade))
    evaluation: Mapped[str] = mapped_column(Text)
    evaluator: Mapped[str] = mapped_column(String(100))
    evaluated_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[TwoWayFile] = relationship(back_populates="evaluations")

    def audit_candidate_id(self) -> int | None:
        """An evaluation belongs to the student's timeline."""
        return self.file.candidate_id
