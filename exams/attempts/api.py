"""The exam-taking API the exam page itself uses: start or resume, save, submit."""

from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint
from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.models import Enrolment
from courses.services import approved_enrolments
from exams.attempts import services
from exams.models import Attempt, AttemptStatus, Exam, LateAnswer, ReviewPolicy
from exams.questions import to_json
from partyschool.access import admit, allow, signed_in
from partyschool.accounts import login
from partyschool.accounts.models import Role
from partyschool.api.spec import ApiError, operation
from partyschool.candidates.models import Candidate
from partyschool.extensions import commits_apart, db, unlimited, utcnow, writing

bp = Blueprint("exams_api", __name__, url_prefix="/api/v1")


class ExamOut(BaseModel):
    """An exam the caller may take."""

    id: int
    title: str
    class_title: str
    kind: str
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    max_attempts: int
    pass_mark: float
    problems: list[str]


class ExamList(BaseModel):
    """Exams open to the caller."""

    items: list[ExamOut]


class QuestionOut(BaseModel):
    """A question during an attempt: never the key."""

    question_id: int
    type: str
    stem: str
    options: list[str]
    blanks: int
    points: str


class ResultOut(BaseModel):
    """What the review policy lets the trainee see after submitting."""

    score: float | None = None
    max_score: float | None = None
    passed: bool | None = None
    is_fully_graded: bool | None = None
    key: dict[str, Any] | None = None


class LateOut(BaseModel):
    """An answer that reached the server after the deadline, kept apart until accepted."""

    question_id: int
    answered_at: datetime | None
    received_at: datetime
    is_accepted: bool


class AttemptOut(BaseModel):
    """An attempt's state: questions, saved answers, the server's deadline, the result."""

    attempt_id: int
    exam_id: int
    status: str
    server_now: datetime
    deadline_at: datetime
    questions: list[QuestionOut]
    answers: dict[str, Any]
    late: list[LateOut] = []
    result: ResultOut | None = None


class AnswerIn(BaseModel):
    """One answer: an option index, a list of indices, true/false, blanks, or text; and when
    the trainee gave it, by the server's clock as the page keeps it."""

    response: Any  # required: null clears the answer, a missing key is a mistake
    answered_at: datetime | None = None


class SavedOut(BaseModel):
    """Confirmation that the server holds the answer."""

    question_id: int
    saved_at: datetime
    is_late: bool = False


def _enrolment(exam: Exam) -> Enrolment:
    enrolment = db.session.scalar(
        select(Enrolment)
        .join(Candidate)
        .where(Enrolment.class_id == exam.class_id, Candidate.user_id == current_user.id)
    )
    if enrolment is None:
        raise ApiError(404, "not_found", "找不到该考试")
    return enrolment


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.scalar(
        select(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(Candidate, Candidate.id == Enrolment.candidate_id)
        .where(Attempt.id == attempt_id, Candidate.user_id == current_user.id)
    )
    if attempt is None:
        raise ApiError(404, "not_found", "找不到该答卷")
    return attempt


@contextmanager
def _refusals():
    """A refused exam action as the API's error reply; an overdue attempt finalized on the
    way stays finalized."""
    try:
        yield
    except services.ExamError as error:
        db.session.commit()
        raise ApiError(error.status, error.code, str(error)) from None


def result_for(attempt: Attempt, now: datetime) -> ResultOut | None:
    """The result as the review policy allows, or None before submission."""
    if attempt.status is not AttemptStatus.SUBMITTED:
        return None
    policy = attempt.exam.review_policy
    if policy is ReviewPolicy.NOTHING:
        return ResultOut()
    passed = attempt.score is not None and attempt.score >= attempt.exam.pass_mark
    result = ResultOut(
        score=float(attempt.score or 0),
        max_score=float(attempt.max_score),
        passed=passed if attempt.is_fully_graded else None,
        is_fully_graded=attempt.is_fully_graded,
    )
    if services.may_see_answers(attempt, now):
        result.key = {
            str(item["question_id"]): to_json(services.question_as_asked(item))
            for item in attempt.items
        }
    return result


def attempt_state(attempt: Attempt, now: datetime) -> AttemptOut:
    """Everything the exam page needs to (re)build itself."""
    return AttemptOut(
        attempt_id=attempt.id,
        exam_id=attempt.exam_id,
        status=attempt.status,
        server_now=now,
        deadline_at=attempt.deadline_at,
        questions=[QuestionOut(**q) for q in services.public_items(attempt)],
        answers={str(a.question_id): a.response for a in attempt.answers if a.response is not None},
        late=[
            LateOut(
                question_id=late.question_id,
                answered_at=late.answered_at,
                received_at=late.received_at,
                is_accepted=late.is_accepted,
            )
            for late in attempt.late_answers
        ],
        result=result_for(attempt, now),
    )


@bp.get("/exams")
@signed_in
@operation("可参加的考试", response=ExamList, tag="exams")
def exams():
    """Exams of the caller's approved classes whose window is open now."""
    now = utcnow()
    services.finalize_overdue(
        db.session,
        now,
        enrolment_ids=db.session.scalars(
            approved_enrolments(current_user).with_only_columns(Enrolment.id)
        ),
    )
    db.session.commit()
    rows = db.session.execute(
        approved_enrolments(current_user)
        .join(Exam, Exam.class_id == Enrolment.class_id)
        .with_only_columns(Exam, Enrolment)
        .where(Exam.closes_at > now)
        .order_by(Exam.opens_at)
    ).all()
    return ExamList(
        items=[
            ExamOut(
                id=exam.id,
                title=exam.title,
                class_title=exam.training_class.title,
                kind=exam.kind,
                opens_at=exam.opens_at,
                closes_at=exam.closes_at,
                time_limit_minutes=exam.time_limit_minutes,
                max_attempts=exam.max_attempts,
                pass_mark=float(exam.pass_mark),
                problems=services.problems(db.session, exam, enrolment, now),
            )
            for exam, enrolment in rows
        ]
    )


@bp.post("/exams/<int:exam_id>/attempts")
@unlimited
@commits_apart
@allow(Role.ACTIVIST)
@operation("开始或继续作答（题目不含答案，附服务器截止时间）", response=AttemptOut, tag="exams")
def start(exam_id: int):
    """Start an attempt, or resume the open one: questions without keys and the deadline.

    Resuming only reads, and a new attempt is only inserted (`group_commit.durably`); an
    overdue attempt or a refusal goes through `services.start` holding the write lock."""
    options = [joinedload(Exam.training_class), joinedload(Exam.paper)]
    exam = db.session.get(Exam, exam_id, options=options)
    if exam is None:
        raise ApiError(404, "not_found", "找不到该考试")
    now = utcnow()
    enrolment = _enrolment(exam)
    attempts = services.attempts_of(db.session, exam, enrolment)
    attempt = services.resumable(attempts, now) or services.start_while_open(
        db.session, exam, enrolment, attempts, now
    )
    if attempt is not None:
        return attempt_state(attempt, now)
    db.session.rollback()
    with writing():
        with _refusals():
            attempt = services.start(db.session, exam, enrolment, now)
        state = attempt_state(attempt, now)
        db.session.commit()
    return state


@bp.get("/attempts/<int:attempt_id>")
@unlimited
@allow(Role.ACTIVIST)
@operation("答卷状态（用于刷新后恢复）", response=AttemptOut, tag="exams")
def show(attempt_id: int):
    """The attempt as the page needs it after a reload; finalizes it if its time is up."""
    attempt = _own_attempt(attempt_id)
    now = utcnow()
    if attempt.status is AttemptStatus.IN_PROGRESS and now > attempt.deadline_at:
        services.submit(db.session, attempt, now)
        db.session.commit()
    return attempt_state(attempt, now)


@bp.put("/attempts/<int:attempt_id>/answers/<int:question_id>")
@unlimited
@commits_apart
@allow(Role.ACTIVIST, checked_in_statement=True)
@operation(
    "保存一道题的答案（幂等；截止后送达的另存为迟交）",
    body=AnswerIn,
    response=SavedOut,
    tag="exams",
)
def save(attempt_id: int, question_id: int, data: AnswerIn):
    """Save an answer; after the server's deadline it is kept apart as late.

    The common case is one statement that also checks who is asking; anything else is
    decided after the usual check (`admit`)."""
    now = utcnow()
    claimed = login.claimed(now)
    if claimed is not None and services.save_while_open(
        db.session, claimed, attempt_id, question_id, data.response, now
    ):
        return SavedOut(question_id=question_id, saved_at=now)
    admit()
    with writing():
        attempt = _own_attempt(attempt_id)
        answered_at = data.answered_at
        if answered_at is not None and answered_at.tzinfo is None:
            answered_at = answered_at.replace(tzinfo=UTC)
        with _refusals():
            answer = services.save(
                db.session, attempt, question_id, data.response, now, answered_at
            )
        if isinstance(answer, LateAnswer):
            saved = SavedOut(question_id=question_id, saved_at=answer.received_at, is_late=True)
        else:
            saved = SavedOut(question_id=question_id, saved_at=answer.saved_at)
        db.session.commit()  # after building the reply: reading the row again costs a query
    return saved


@bp.post("/attempts/<int:attempt_id>/submit")
@unlimited
@allow(Role.ACTIVIST)
@operation("交卷（幂等），返回评阅策略允许的结果", response=AttemptOut, tag="exams")
def submit(attempt_id: int):
    """Submit the attempt once; later calls return the same result."""
    attempt = _own_attempt(attempt_id)
    now = utcnow()
    services.submit(db.session, attempt, now)
    state = attempt_state(attempt, now)
    db.session.commit()
    return state
