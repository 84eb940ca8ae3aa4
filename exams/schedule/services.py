"""The exams of a training class: window, time limit, attempts, pass mark and review policy.
Functions take the session first and only flush; the request commits once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from courses.models import TrainingClass
from exams.attempts.services import grade_attempt
from exams.errors import ManageError
from exams.models import Attempt, AttemptStatus, Exam, ExamKind, Paper, ReviewPolicy
from exams.papers.services import paper_problems, usable_by
from partyschool.access import scope_to_user
from partyschool.accounts.models import User

MAX_TIME_LIMIT = 600
MAX_ATTEMPTS = 10
MAX_LATE_GRACE_SECONDS = 600


def class_exams(session: Session, training_class: TrainingClass) -> list[Exam]:
    """The exams of a class, formal ones first, by opening time."""
    return list(
        session.scalars(
            select(Exam)
            .options(joinedload(Exam.paper))
            .where(Exam.class_id == training_class.id)
            .order_by(Exam.kind, Exam.opens_at, Exam.id)
        )
    )


def managed_classes(session: Session, user: User) -> list[TrainingClass]:
    """The classes whose exams the user manages, the latest first."""
    stmt = select(TrainingClass).order_by(TrainingClass.starts_on.desc(), TrainingClass.id)
    return list(session.scalars(scope_to_user(stmt, TrainingClass.party_school_id, user)))


def exam_counts(session: Session, classes: Sequence[TrainingClass]) -> dict[int, int]:
    """How many exams each class has."""
    stmt = (
        select(Exam.class_id, func.count(Exam.id))
        .where(Exam.class_id.in_([c.id for c in classes]))
        .group_by(Exam.class_id)
    )
    return dict(session.execute(stmt).all())


@dataclass
class ExamValues:
    """What a staff member sets on an exam."""

    title: str
    paper_id: int
    kind: ExamKind
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    max_attempts: int
    pass_mark: Decimal
    review_policy: ReviewPolicy
    multiple_partial_credit: bool
    late_grace_seconds: int = 0


def save_exam(
    session: Session, training_class: TrainingClass, exam: Exam | None, values: ExamValues
) -> tuple[Exam, int]:
    """Create or change an exam of a class; returns it and how many attempts were regraded
    (turning partial credit on or off regrades what was submitted)."""
    problems = []
    paper = session.get(Paper, values.paper_id)
    if paper is None or not usable_by(paper.party_school, training_class.party_school_id):
        problems.append("请选择本分党校或校党校的试卷")
    elif exam is None or exam.paper_id != paper.id:
        problems += paper_problems(session, paper)
    started = exam is not None and bool(
        session.scalar(select(exists().where(Attempt.exam_id == exam.id)))
    )
    if started and exam.paper_id != values.paper_id:
        problems.append("已有考生参加此考试，不能更换试卷")
    if values.closes_at <= values.opens_at:
        problems.append("结束时间必须晚于开始时间")
    if not 1 <= values.time_limit_minutes <= MAX_TIME_LIMIT:
        problems.append(f"考试时长应在 1 到 {MAX_TIME_LIMIT} 分钟之间")
    if not 1 <= values.max_attempts <= MAX_ATTEMPTS:
        problems.append(f"考试次数应在 1 到 {MAX_ATTEMPTS} 次之间")
    if not 0 <= values.late_grace_seconds <= MAX_LATE_GRACE_SECONDS:
        problems.append(f"迟交宽限应在 0 到 {MAX_LATE_GRACE_SECONDS} 秒之间")
    if paper is not None:
        total = paper.total_points
        if not Decimal(0) < values.pass_mark <= total:
            problems.append(f"及格分应大于 0 且不超过试卷总分 {total}")
    if problems:
        raise ManageError(problems)
    regrade = started and exam.multiple_partial_credit != values.multiple_partial_credit
    if exam is None:
        exam = Exam(training_class=training_class)
        session.add(exam)
    for name, value in vars(values).items():
        setattr(exam, name, value)
    exam.paper = paper
    session.flush()
    regraded = 0
    if regrade:
        for attempt in session.scalars(
            select(Attempt).where(
                Attempt.exam_id == exam.id, Attempt.status == AttemptStatus.SUBMITTED
            )
        ):
            grade_attempt(session, attempt)
            regraded += 1
    return exam, regraded
