"""A candidate's thought reports, the comments on them, and the half-yearly assessments.

They join the record from here (candidates/models.py is full): `Candidate.thought_reports`,
`Candidate.half_year_assessments` and `Contact.user`, the account of a cultivation contact,
who may then read and comment the candidate's reports and write the half-yearly 考察意见.
Importing `candidates.services` (as every page does) imports this module.
"""

from datetime import date, datetime
from types import MappingProxyType

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.models import Candidate, Contact, _Fact
from partyschool.extensions import db, utcnow


class ThoughtReport(_Fact, db.Model):
    """A thought report (思想汇报) the candidate handed in: text, an uploaded file, or both."""

    __tablename__ = "thought_reports"
    audit_title = "思想汇报"
    audit_labels = MappingProxyType(
        {"title": "标题", "submitted_on": "递交日期", "body": "内容", "original_name": "文件"}
    )
    __table_args__ = (
        CheckConstraint("body <> '' OR stored_name IS NOT NULL", name="report_has_content"),
    )

    title: Mapped[str] = mapped_column(String(200))
    submitted_on: Mapped[date]
    body: Mapped[str] = mapped_column(Text, default="")
    # A file in the upload folder under a generated name; the name the user sent is for show.
    stored_name: Mapped[str | None] = mapped_column(String(100))
    original_name: Mapped[str | None] = mapped_column(String(200))

    recorded_by: Mapped[User | None] = relationship()
    candidate: Mapped[Candidate] = relationship(viewonly=True)
    comments: Mapped[list["ReportComment"]] = relationship(
        order_by="ReportComment.commented_at", cascade="all, delete-orphan"
    )


class ReportComment(Audited, db.Model):
    """A contact's or organizer's comment (批阅意见) on a thought report."""

    __tablename__ = "report_comments"
    audit_title = "思想汇报批阅意见"
    audit_labels = MappingProxyType({"text": "意见"})

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("thought_reports.id", ondelete="CASCADE"), index=True
    )
    # Kept here so the trail files the comment under the candidate's record.
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    commented_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class HalfYearAssessment(_Fact, db.Model):
    """The half-yearly assessment (半年考察意见) of a contact or organizer, one per half-year."""

    __tablename__ = "half_year_assessments"
    audit_title = "半年考察意见"
    audit_labels = MappingProxyType({"period": "考察期", "written_on": "日期", "content": "意见"})
    __table_args__ = (UniqueConstraint("candidate_id", "period"),)

    period: Mapped[str] = mapped_column(String(6))  # "2026-1" 上半年, "2026-2" 下半年
    written_on: Mapped[date]
    content: Mapped[str] = mapped_column(Text)

    recorded_by: Mapped[User | None] = relationship()


Candidate.thought_reports = relationship(
    ThoughtReport, order_by=ThoughtReport.submitted_on, cascade="all, delete-orphan"
)
Candidate.half_year_assessments = relationship(
    HalfYearAssessment, order_by=HalfYearAssessment.period, cascade="all, delete-orphan"
)
Contact.user = relationship(User, foreign_keys=[Contact.user_id])
