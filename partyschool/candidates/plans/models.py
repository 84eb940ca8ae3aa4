"""A branch school's development plan for one year, optionally split by month."""

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.rules import Stage
from partyschool.extensions import db, utcnow
from partyschool.organization.models import PartySchool

# What a plan counts: entering each of these stages (发展党员 is admission as 预备党员).
PLANNED_STAGES = MappingProxyType(
    {
        Stage.ACTIVIST: "培养入党积极分子",
        Stage.CANDIDATE: "发展对象",
        Stage.PROBATIONARY: "发展党员",
    }
)
# The plan's column for each planned stage.
TARGET_COLUMNS = MappingProxyType(
    {Stage.ACTIVIST: "activists", Stage.CANDIDATE: "candidates", Stage.PROBATIONARY: "members"}
)
_TARGET_LABELS = {column: PLANNED_STAGES[stage] for stage, column in TARGET_COLUMNS.items()}
_NOT_NEGATIVE = "activists >= 0 AND candidates >= 0 AND members >= 0"


class DevelopmentPlan(Audited, db.Model):
    """A branch school's annual development plan (年度发展计划): how many it means to train
    as activists, take on as development candidates and admit as members in a year."""

    __tablename__ = "development_plans"
    audit_title = "年度发展计划"
    audit_labels = MappingProxyType({"year": "年度", **_TARGET_LABELS, "note": "说明"})
    __table_args__ = (
        UniqueConstraint("party_school_id", "year"),
        CheckConstraint(_NOT_NEGATIVE, name="targets_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))
    year: Mapped[int]
    activists: Mapped[int]
    candidates: Mapped[int]
    members: Mapped[int]
    note: Mapped[str] = mapped_column(String(500), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    party_school: Mapped[PartySchool] = relationship()
    set_by: Mapped[User | None] = relationship()
    months: Mapped[list["DevelopmentPlanMonth"]] = relationship(
        order_by="DevelopmentPlanMonth.month", cascade="all, delete-orphan", back_populates="plan"
    )

    audit_ignores = frozenset({"updated_at"})

    def audit_candidate_id(self) -> int | None:
        """A plan belongs to no one candidate's record."""
        return None

    def target(self, stage: Stage) -> int:
        """The year's target for entering this stage."""
        return getattr(self, TARGET_COLUMNS[stage])


class DevelopmentPlanMonth(Audited, db.Model):
    """One month's share of an annual plan (分月计划)."""

    __tablename__ = "development_plan_months"
    audit_title = "年度发展计划（分月）"
    audit_labels = MappingProxyType({"month": "月份", **_TARGET_LABELS})
    __table_args__ = (
        UniqueConstraint("plan_id", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_of_year"),
        CheckConstraint(_NOT_NEGATIVE, name="targets_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"))
    month: Mapped[int]
    activists: Mapped[int]
    candidates: Mapped[int]
    members: Mapped[int]

    plan: Mapped[DevelopmentPlan] = relationship(back_populates="months")

    def audit_candidate_id(self) -> int | None:
        """A plan belongs to no one candidate's record."""
        return None

    def target(self, stage: Stage) -> int:
        """This month's target for entering this stage."""
        return getattr(self, TARGET_COLUMNS[stage])
