"""Keeping 双向培养 files: opening one for a graduate student, correcting it with a reason,
and recording each year's evaluation. Only the graduate branch and the school level keep them.

Functions take the session first and only flush; the request commits once. The audit trail
records every change (the Audited models), on the student's timeline.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from partyschool.access import can_see_school
from partyschool.accounts.models import ORGANIZERS, User
from partyschool.audit import set_reason
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import STAGE_LABELS, Stage
from partyschool.candidates.services import RecordError, check_date
from partyschool.candidates.twoway.models import (
    DIRECTION_LABELS,
    GRADE_LABELS,
    Direction,
    Grade,
    TwoWayEvaluation,
    TwoWayFile,
)
from partyschool.organization.models import SchoolKind
from partyschool.spreadsheets import write_xlsx

MAX_TEXT = 2000
MAX_NAME = 100
MEMBER_STAGES = (Stage.PROBATIONARY, Stage.MEMBER)


def may_keep(user: User) -> bool:
    """True for the graduate branch's organizers and admins and the school level's."""
    return user.role in ORGANIZERS and (
        user.has_school_scope or user.party_school.kind is SchoolKind.GRADUATE
    )


def is_graduate_branch(user: User) -> bool:
    """True for the graduate branch's people (the school level is not a branch)."""
    return not user.has_school_scope and user.party_school.kind is SchoolKind.GRADUATE


def _text(value: str | None, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise RecordError(f"请填写{label}")
    if len(value) > limit:
        raise RecordError(f"{label}不能超过 {limit} 字（现有 {len(value)} 字）")
    return value


def _check_keeper(actor: User, candidate: Candidate) -> None:
    if not may_keep(actor) or not can_see_school(actor, candidate.party_school_id):
        raise RecordError("只有研究生分党校和校党校可以管理双向培养档案")
    if candidate.party_school.kind is not SchoolKind.GRADUATE:
        raise RecordError("双向培养档案只为研究生分党校的学生建立")


def _file_values(values: Mapping, candidate: Candidate, today: date) -> dict:
    direction = Direction(values["direction"])
    is_member = candidate.stage in MEMBER_STAGES
    if direction is Direction.TO_MEMBER and is_member:
        raise RecordError("该生已是党员，培养方向应为“培养成学术骨干”")
    if direction is Direction.TO_SCHOLAR and not is_member:
        raise RecordError("“培养成学术骨干”针对党员学生（含预备党员），该生尚未入党")
    started_on = values["started_on"]
    check_date(started_on, "建档日期", today)
    return {
        "direction": direction,
        "mentor": _text(values.get("mentor"), "导师", MAX_NAME),
        "goals": _text(values.get("goals"), "培养目标", MAX_TEXT),
        "started_on": started_on,
    }


def open_file(
    session: Session, candidate: Candidate, values: Mapping, actor: User, today: date
) -> TwoWayFile:
    """Open a student's 双向培养 file: a student still outside the Party is cultivated as a
    member, a member (or probationary member) as an academic backbone."""
    _check_keeper(actor, candidate)
    file = TwoWayFile(
        candidate=candidate, created_by_id=actor.id, **_file_values(values, candidate, today)
    )
    session.add(file)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError("该生已有双向培养档案") from None
    return file


def correct_file(
    session: Session, file: TwoWayFile, values: Mapping, reason: str, actor: User, today: date
) -> None:
    """Correct a file's direction, mentor, goals or date; the audit trail keeps the old
    values and the reason."""
    _check_keeper(actor, file.candidate)
    checked = _file_values(values, file.candidate, today)
    if file.evaluations and checked["started_on"].year > min(e.year for e in file.evaluations):
        raise RecordError("建档日期不能晚于已有的年度评价")
    set_reason(session, _text(reason, "更正原因", 500))
    for attribute, value in checked.items():
        setattr(file, attribute, value)
    session.flush()


def _evaluation_values(file: TwoWayFile, values: Mapping, today: date) -> dict:
    year = values.get("year")
    if not isinstance(year, int) or not file.started_on.year <= year <= today.year:
        raise RecordError(f"评价年度须在建档年度（{file.started_on.year}）至今年之间")
    evaluated_on = values["evaluated_on"]
    check_date(evaluated_on, "评价日期", today, after=file.started_on)
    if evaluated_on.year < year:
        raise RecordError(f"{year}年度的评价日期不能早于该年")
    return {
        "year": year,
        "grade": Grade(values["grade"]),
        "evaluation": _text(values.get("evaluation"), "评价", MAX_TEXT),
        "evaluator": _text(values.get("evaluator"), "评价人", MAX_NAME),
        "evaluated_on": evaluated_on,
    }


def record_evaluation(
    session: Session, file: TwoWayFile, values: Mapping, actor: User, today: date
) -> TwoWayEvaluation:
    """Record one year's evaluation of the file; a year is evaluated once (then corrected)."""
    _check_keeper(actor, file.candidate)
    evaluation = TwoWayEvaluation(
        recorded_by_id=actor.id, **_evaluation_values(file, values, today)
    )
    file.evaluations.append(evaluation)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        session.expire(file, ["evaluations"])
        raise RecordError(f"{evaluation.year}年度已有评价，如有错误请更正该评价") from None
    return evaluation


def correct_evaluation(
    session: Session,
    evaluation: TwoWayEvaluation,
    values: Mapping,
    reason: str,
    actor: User,
    today: date,
) -> None:
    """Correct a year's evaluation, with the reason the audit trail keeps."""
    _check_keeper(actor, evaluation.file.candidate)
    checked = _evaluation_values(evaluation.file, values, today)
    set_reason(session, _text(reason, "更正原因", 500))
    for attribute, value in checked.items():
        setattr(evaluation, attribute, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError(f"{checked['year']}年度已有评价") from None


@dataclass(frozen=True)
class FileQuery:
    """The list's filters: a name, student number or mentor; the direction; the latest
    evaluation's grade."""

    q: str = ""
    direction: str = ""
    grade: str = ""

    @classmethod
    def from_args(cls, args: Mapping) -> "FileQuery":
        """Filters from a query string; unknown values are ignored."""
        direction = args.get("direction", "")
        grade = args.get("grade", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            direction=direction if direction in DIRECTION_LABELS else "",
            grade=grade if grade in GRADE_LABELS or grade == "none" else "",
        )

    def args(self) -> dict:
        """The filters as query-string arguments (for the export link)."""
        return {k: v for k, v in vars(self).items() if v}

    def statement(self, user: User) -> Select:
        """The files this user may see that match the filters."""
        stmt = select(TwoWayFile).join(Candidate, Candidate.id == TwoWayFile.candidate_id)
        if not user.has_school_scope:
            stmt = stmt.where(Candidate.party_school_id == user.party_school_id)
        if self.q:
            like = f"%{self.q}%"
            stmt = stmt.where(
                or_(
                    Candidate.name.like(like),
                    Candidate.student_no.like(like),
                    TwoWayFile.mentor.like(like),
                )
            )
        if self.direction:
            stmt = stmt.where(TwoWayFile.direction == self.direction)
        if self.grade:
            earlier = aliased(TwoWayEvaluation)
            latest = (
                select(func.max(earlier.year))
                .where(earlier.file_id == TwoWayFile.id)
                .correlate(TwoWayFile)
                .scalar_subquery()
            )
            if self.grade == "none":
                stmt = stmt.where(latest.is_(None))
            else:
                stmt = stmt.join(
                    TwoWayEvaluation,
                    (TwoWayEvaluation.file_id == TwoWayFile.id) & (TwoWayEvaluation.year == latest),
                ).where(TwoWayEvaluation.grade == self.grade)
        return stmt.order_by(Candidate.student_no)


def files(session: Session, user: User, query: FileQuery) -> list[TwoWayFile]:
    """The files matching the filters, with their students and evaluations (three queries)."""
    stmt = query.statement(user).options(
        joinedload(TwoWayFile.candidate).joinedload(Candidate.college),
        selectinload(TwoWayFile.evaluations),
    )
    return list(session.scalars(stmt).unique())


EXPORT_HEADERS = [
    "学号",
    "姓名",
    "学院",
    "专业",
    "阶段",
    "培养方向",
    "导师",
    "培养目标",
    "建档日期",
    "最近评价年度",
    "等次",
    "评价",
    "评价人",
    "评价日期",
]


def export_xlsx(session: Session, user: User, query: FileQuery) -> bytes:
    """The filtered list with each file's latest evaluation, as XLSX (formula-like text is
    written as plain text)."""
    rows = []
    for file in files(session, user, query):
        c, latest = file.candidate, file.latest
        rows.append(
            [
                c.student_no,
                c.name,
                c.college.name if c.college else "",
                c.major,
                STAGE_LABELS[c.stage],
                file.direction.label,
                file.mentor,
                file.goals,
                file.started_on,
                *(
                    [latest.year, latest.grade.label, latest.evaluation, latest.evaluator]
                    + [latest.evaluated_on]
                    if latest
                    else ["", "", "", "", ""]
                ),
            ]
        )
    return write_xlsx(EXPORT_HEADERS, rows, title="双向培养对象档案")
