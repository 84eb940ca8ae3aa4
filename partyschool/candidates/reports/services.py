"""The door for thought reports, their comments and the half-yearly assessments: who may read
and write them, and the dates and periods they may carry. Functions only flush."""

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from partyschool.accounts.models import ORGANIZERS, Role, User
from partyschool.accounts.notifications import notify
from partyschool.candidates import services
from partyschool.candidates.models import Candidate, Contact, ContactKind
from partyschool.candidates.reports.models import HalfYearAssessment, ReportComment, ThoughtReport
from partyschool.candidates.rules import Stage, half_year_bounds, half_year_label
from partyschool.candidates.services import RecordError, check_date

PERIOD = re.compile(r"(19|20)\d\d-[12]")
MAX_TEXT = 20_000


def is_contact(user: User, candidate: Candidate) -> bool:
    """True when the user's account is one of the candidate's cultivation contacts (培养联系人)."""
    return any(c.kind is ContactKind.CONTACT and c.user_id == user.id for c in candidate.contacts)


def may_comment(user: User, candidate: Candidate) -> bool:
    """Contacts, the organizers of the candidate's branch school and the school admin."""
    if is_contact(user, candidate):
        return True
    return user.role in ORGANIZERS and (
        user.has_school_scope or user.party_school_id == candidate.party_school_id
    )


def may_read(user: User, candidate: Candidate) -> bool:
    """The candidate themself and whoever may comment; nobody else."""
    return (
        candidate.user_id is not None
        and candidate.user_id == user.id
        or may_comment(user, candidate)
    )


def contact_accounts(session: Session, candidate: Candidate) -> list[User]:
    """The staff accounts of the candidate's branch school a contact may be tied to."""
    return list(
        session.scalars(
            select(User)
            .where(User.party_school_id == candidate.party_school_id, User.role != Role.ACTIVIST)
            .order_by(User.username)
        )
    )


def contact_candidates(session: Session, user: User) -> list[Candidate]:
    """The candidates whose cultivation contact this user is."""
    return list(
        session.scalars(
            select(Candidate)
            .join(Contact, Contact.candidate_id == Candidate.id)
            .where(Contact.user_id == user.id, Contact.kind == ContactKind.CONTACT)
            .order_by(Candidate.student_no)
            .distinct()
        )
    )


def _text(value: str | None, label: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise RecordError(f"{label}不能超过 {limit} 字")
    return value


def _first_day(candidate: Candidate) -> date | None:
    return min((c.entered_on for c in candidate.stage_changes), default=None)


def submit_report(
    session: Session,
    candidate: Candidate,
    actor: User,
    *,
    title: str,
    body: str = "",
    submitted_on: date | None = None,
    stored_name: str | None = None,
    original_name: str | None = None,
    today: date,
) -> ThoughtReport:
    """Hand in a thought report: the candidate on the site, or staff recording one handed in
    on paper. Text or a stored file (or both); the contacts are told. The candidate's own
    report is dated `today`, the day it arrives, whatever date is given (a backdated report
    would fill a missing quarter); a paper report carries the day staff give, not in the
    future nor before the record began."""
    if actor.id == candidate.user_id:
        submitted_on = today
    elif not may_comment(actor, candidate):
        raise RecordError("只能递交本人的思想汇报")
    if submitted_on is None:
        raise RecordError("请填写递交日期")
    title = _text(title, "标题", 200)
    if not title:
        raise RecordError("请填写标题")
    body = _text(body, "内容")
    if not body and not stored_name:
        raise RecordError("请填写思想汇报的内容或上传文件")
    check_date(submitted_on, "递交日期", today, after=_first_day(candidate))
    report = ThoughtReport(
        title=title,
        body=body,
        submitted_on=submitted_on,
        stored_name=stored_name,
        original_name=original_name,
        recorded_by_id=actor.id,
    )
    candidate.thought_reports.append(report)
    session.flush()
    for contact in candidate.contacts:
        if contact.kind is ContactKind.CONTACT and contact.user_id not in (None, actor.id):
            notify(
                session,
                contact.user_id,
                f"{candidate.name}递交了思想汇报《{title}》，请批阅",
                f"/thought-reports/{report.id}",
            )
    services.refresh(session, [candidate], today)
    return report


def comment_report(
    session: Session, report: ThoughtReport, candidate: Candidate, actor: User, text: str
) -> ReportComment:
    """A contact's or organizer's comment on a report; the candidate is told."""
    if not may_comment(actor, candidate):
        raise RecordError("只有培养联系人和组织员可以批阅思想汇报")
    text = _text(text, "批阅意见", 5000)
    if not text:
        raise RecordError("请填写批阅意见")
    comment = ReportComment(author_id=actor.id, text=text, candidate_id=candidate.id)
    report.comments.append(comment)
    session.flush()
    notify(
        session,
        candidate.user_id,
        f"您的思想汇报《{report.title}》有新的批阅意见",
        f"/thought-reports/{report.id}",
    )
    return comment


def record_assessment(
    session: Session,
    candidate: Candidate,
    actor: User,
    *,
    period: str,
    written_on: date,
    content: str,
    today: date,
) -> HalfYearAssessment:
    """The half-yearly 考察意见 for a half-year ("2026-1"), by a contact or organizer: one per
    candidate and half-year (the database holds it), written within or after that half-year,
    not in the future, and not before the candidate became an activist."""
    if not may_comment(actor, candidate):
        raise RecordError("只有培养联系人和组织员可以填写考察意见")
    if not PERIOD.fullmatch(period or ""):
        raise RecordError("考察期无效，应为某年上半年或下半年")
    content = _text(content, "考察意见", 5000)
    if not content:
        raise RecordError("请填写考察意见")
    became = max(
        (c.entered_on for c in candidate.stage_changes if c.stage is Stage.ACTIVIST), default=None
    )
    if became is None:
        raise RecordError("该学生尚未成为入党积极分子，无需半年考察")
    check_date(written_on, "填写日期", today, after=became)
    starts, ends = half_year_bounds(period)
    if written_on < starts:
        raise RecordError(f"{half_year_label(period)}尚未开始，不能在{written_on}填写其考察意见")
    if ends < became:
        raise RecordError(f"{half_year_label(period)}时该学生尚未成为入党积极分子")
    assessment = HalfYearAssessment(
        period=period, written_on=written_on, content=content, recorded_by_id=actor.id
    )
    try:
        with session.begin_nested():
            candidate.half_year_assessments.append(assessment)
            session.flush()
    except IntegrityError:
        raise RecordError(f"{half_year_label(period)}的考察意见已经填写过") from None
    services.refresh(session, [candidate], today)
    return assessment


def awaiting_comment(
    session: Session, user: User, limit: int = 20
) -> tuple[int, list[ThoughtReport]]:
    """How many reports no one has commented yet wait for this user (an organizer's branch, or
    the candidates whose contact they are), and the oldest few with their candidate."""
    stmt = (
        select(ThoughtReport)
        .join(Candidate, Candidate.id == ThoughtReport.candidate_id)
        .where(~ThoughtReport.comments.any())
    )
    if user.role in ORGANIZERS:
        if not user.has_school_scope:
            stmt = stmt.where(Candidate.party_school_id == user.party_school_id)
    elif user.role is not Role.ACTIVIST:
        stmt = stmt.where(
            Candidate.id.in_(
                select(Contact.candidate_id).where(
                    Contact.user_id == user.id, Contact.kind == ContactKind.CONTACT
                )
            )
        )
    else:
        return 0, []
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    oldest = stmt.options(contains_eager(ThoughtReport.candidate)).order_by(
        ThoughtReport.submitted_on, ThoughtReport.id
    )
    return total, list(session.scalars(oldest.limit(limit)))
