"""Taking exams: who may sit, the per-trainee draw, saving answers against the server's
deadline, submitting once, finalizing abandoned attempts, grading and regrading.

Functions take the session first and only flush; the request commits once.
"""

import random
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import TextClause, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from courses.models import Enrolment, EnrolmentStatus
from courses.study.services import class_hours
from exams.attempts.asked import Shape, asked, shape_of
from exams.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Exam,
    ExamKind,
    LateAnswer,
    Paper,
    PaperMode,
    Question,
    ReviewPolicy,
)
from exams.question_grading import GradingPolicy
from exams.question_types import accepts, grade, public_fields
from exams.questions import QuestionData, QuestionType, from_json, permute
from partyschool import group_commit
from partyschool.accounts import login
from partyschool.accounts.login import Claimed
from partyschool.accounts.models import Role, User

# Bounds on what one answer may hold: an essay of a few pages, blanks of a phrase each.
MAX_ESSAY_CHARS = 20_000
MAX_BLANK_CHARS = 500
MAX_RESPONSE_BYTES = 100_000


class ExamError(ValueError):
    """An exam action was refused; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 409, code: str = "refused"):
        super().__init__(message)
        self.status, self.code = status, code


def policy(exam: Exam) -> GradingPolicy:
    """How this exam grades questions."""
    return GradingPolicy(multiple_partial_credit=exam.multiple_partial_credit)


def attempts_of(session: Session, exam: Exam, enrolment: Enrolment) -> list[Attempt]:
    """The trainee's attempts at this exam, oldest first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.exam_id == exam.id, Attempt.enrolment_id == enrolment.id)
            .order_by(Attempt.number)
        )
    )


def problems(
    session: Session,
    exam: Exam,
    enrolment: Enrolment,
    now: datetime,
    attempts: list[Attempt] | None = None,
) -> list[str]:
    """Every reason the trainee may not start an attempt now (empty: they may); `attempts`:
    the trainee's attempts at this exam, when already read."""
    found = []
    if enrolment.class_id != exam.class_id or enrolment.status is not EnrolmentStatus.APPROVED:
        found.append("您未被录取到本培训班")
    if now < exam.opens_at:
        found.append(f"考试尚未开始（{exam.opens_at:%Y-%m-%d %H:%M} 开始）")
    if now >= exam.closes_at:
        found.append("考试已结束")
    if exam.training_class.requires_study_hours:
        hours = class_hours(session, enrolment)
        if not hours.is_complete:
            found.append(f"学时未完成：已完成 {hours.total:.1f} / {hours.required} 学时")
    if attempts is None:
        attempts = attempts_of(session, exam, enrolment)
    done = [a for a in attempts if a.status is AttemptStatus.SUBMITTED]
    if len(done) >= exam.max_attempts:
        found.append(f"已用完全部 {exam.max_attempts} 次考试机会")
    if exam.kind is ExamKind.MAKEUP and formal_passed(session, exam, enrolment):
        found.append("正式考试已合格，无需补考")
    return found


def formal_passed(session: Session, makeup: Exam, enrolment: Enrolment) -> bool:
    """True when the trainee passed a formal exam of the same class."""
    formal = session.scalars(
        select(Attempt)
        .join(Exam)
        .where(
            Exam.class_id == makeup.class_id,
            Exam.kind == ExamKind.FORMAL,
            Attempt.enrolment_id == enrolment.id,
            Attempt.status == AttemptStatus.SUBMITTED,
        )
    )
    return any(a.score is not None and a.score >= a.exam.pass_mark for a in formal)


def draw(session: Session, paper: Paper, seed: str) -> list[dict]:
    """The questions one trainee gets, reproducible from the seed: which, in what order, and
    in what order their options appear."""
    rng = random.Random(seed)
    chosen: list[tuple[Question, Decimal]] = []
    if paper.mode is PaperMode.FIXED:
        questions = {
            q.id: q
            for q in session.scalars(
                select(Question).where(Question.id.in_([i["question_id"] for i in paper.items]))
            )
        }
        chosen = [(questions[i["question_id"]], Decimal(str(i["points"]))) for i in paper.items]
    else:
        for rule in paper.items:
            stmt = select(Question).where(
                Question.bank_id == rule["bank_id"],
                Question.kind == rule["kind"],
                Question.is_retired.is_(False),
            )
            if rule.get("category"):
                stmt = stmt.where(Question.category == rule["category"])
            pool = list(session.scalars(stmt.order_by(Question.id)))
            if len(pool) < rule["count"]:
                raise ExamError(f"题库中符合规则的题目不足 {rule['count']} 道", status=500)
            picked = rng.sample(pool, rule["count"])
            chosen += [(q, Decimal(str(rule["points"]))) for q in picked]
    if paper.shuffle_questions:
        rng.shuffle(chosen)
    items = []
    for question, points in chosen:
        options = question.data.get("options") or []
        order = list(range(len(options)))
        if paper.shuffle_options and QuestionType(question.kind).has_options:
            rng.shuffle(order)
        items.append(
            {
                "question_id": question.id,
                "revision": question.revision,
                "points": str(points),
                "order": order,
                "data": question.data,
            }
        )
    return items


def question_as_asked(item: dict) -> QuestionData:
    """An attempt item's question in the trainee's option order, in which responses are stored."""
    question, _ = permute(from_json(item["data"]), item["order"])
    return question


def start(session: Session, exam: Exam, enrolment: Enrolment, now: datetime) -> Attempt:
    """Resume the trainee's open attempt, or start a new one; parallel starts make one."""
    # Starts of one trainee queue on their enrolment row (PostgreSQL; SQLite's write
    # transactions are serialized already), so each sees the attempts the others made.
    session.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    current = open_attempt(session, exam, enrolment, now)
    if current is not None:
        return current
    if found := problems(session, exam, enrolment, now):
        raise ExamError("；".join(found), status=403, code="not_allowed")
    number = len(attempts_of(session, exam, enrolment)) + 1
    attempt = Attempt(exam=exam, enrolment=enrolment, **_drawn(session, exam, number, now))
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another request started the same attempt number first: that one is the attempt.
        attempt = session.scalar(
            select(Attempt).where(
                Attempt.exam_id == exam.id,
                Attempt.enrolment_id == enrolment.id,
                Attempt.number == number,
            )
        )
    return attempt


def _drawn(session: Session, exam: Exam, number: int, now: datetime) -> dict[str, Any]:
    """The trainee's next attempt as it begins: its own draw, its deadline."""
    seed = secrets.token_hex(16)
    items = draw(session, exam.paper, seed)
    return {
        "number": number,
        "seed": seed,
        "items": items,
        "started_at": now,
        "deadline_at": min(now + timedelta(minutes=exam.time_limit_minutes), exam.closes_at),
        "max_score": sum((Decimal(i["points"]) for i in items), Decimal(0)),
    }


def resumable(attempts: list[Attempt], now: datetime) -> Attempt | None:
    """The attempt in progress and in time among the trainee's attempts."""
    for attempt in attempts:
        if attempt.status is AttemptStatus.IN_PROGRESS and now <= attempt.deadline_at:
            return attempt
    return None


def start_while_open(
    session: Session, exam: Exam, enrolment: Enrolment, attempts: list[Attempt], now: datetime
) -> Attempt | None:
    """`start` in its common case — nothing open, nothing in the way — with only the new
    attempt written (`group_commit.durably`), so starts at the same bell share a sync and
    no start holds SQLite's write lock while it draws. Returns the new attempt (detached: it is
    the reply, not for changing), or None when `start` must decide (an attempt open or
    overdue, a refusal, a parallel start that won the attempt number)."""
    if any(a.status is AttemptStatus.IN_PROGRESS for a in attempts) or problems(
        session, exam, enrolment, now, attempts
    ):
        return None
    values = _drawn(session, exam, len(attempts) + 1, now)
    values |= {"exam_id": exam.id, "enrolment_id": enrolment.id}
    values |= {"status": AttemptStatus.IN_PROGRESS, "is_fully_graded": False}
    try:
        written = group_commit.durably(session, insert(Attempt).returning(Attempt.id), values)
    except IntegrityError:
        return None  # a parallel start won: `start` resumes its attempt
    attempt_id = written.rows[0].id
    asked.remember(attempt_id, values["seed"], values["items"])
    return Attempt(id=attempt_id, answers=[], late_answers=[], **values)


def open_attempt(
    session: Session, exam: Exam, enrolment: Enrolment, now: datetime
) -> Attempt | None:
    """The in-progress attempt, after finalizing it if its deadline has passed."""
    for attempt in attempts_of(session, exam, enrolment):
        if attempt.status is AttemptStatus.IN_PROGRESS:
            if now > attempt.deadline_at:
                submit(session, attempt, now)
                return None
            return attempt
    return None


def check_response(response, shape: Shape) -> None:
    """Refuse a response no page would send: not of the question's form (an option that is
    not there, a number for a text), text that is not valid Unicode, or too long."""
    if not accepts(shape.type, response, shape.options, shape.blanks):
        raise ExamError("答案格式不正确", status=400, code="invalid")
    parts = response if isinstance(response, list) else [response]
    if any(isinstance(part, (list, dict)) for part in parts) or isinstance(response, dict):
        raise ExamError("答案格式不正确", status=400, code="invalid")
    texts = [part for part in parts if isinstance(part, str)]
    for each in texts:
        try:
            each.encode("utf-8")
        except UnicodeEncodeError:
            message = "答案含有无效字符，请删除后重新输入"
            raise ExamError(message, status=400, code="invalid") from None
    if isinstance(response, str) and len(response) > MAX_ESSAY_CHARS:
        raise ExamError(
            f"答案过长：每题最多 {MAX_ESSAY_CHARS} 字，当前 {len(response)} 字",
            status=400,
            code="too_long",
        )
    if isinstance(response, list) and any(len(t) > MAX_BLANK_CHARS for t in texts):
        raise ExamError(f"答案过长：每空最多 {MAX_BLANK_CHARS} 字", status=400, code="too_long")
    if sum(len(t.encode("utf-8")) for t in texts) > MAX_RESPONSE_BYTES or (
        isinstance(response, list) and len(response) > 100
    ):
        raise ExamError("答案过长", status=400, code="too_long")


def save_while_open(
    session: Session, claimed: Claimed, attempt_id: int, question_id: int, response, now: datetime
) -> bool:
    """`save` in its common case, as one guarded statement (`group_commit.durably`): the
    claimed user's own attempt (`access.allow(checked_in_statement=True)`), in progress,
    before its deadline, one of its questions, an answer of its form. False when any of this
    does not hold (nothing written): the caller then checks who is asking, and `save`
    decides (late answers, refusals, not found) — also when a submit landed first."""
    known = asked.of(session, attempt_id)
    if known is None or question_id not in known.questions:
        return False
    try:
        check_response(response, known.questions[question_id])
    except ExamError:
        return False  # refused by `save`, once who is asking is known
    params = {"attempt_id": attempt_id, "seed": known.seed, "now": now}
    params |= {"question_id": question_id, "response": response, **claimed.params}
    statement = _answer_upsert(session.get_bind().dialect.name, claimed.kind, claimed.roles)
    if group_commit.durably(session, statement, params).rowcount == 1:
        return True
    asked.forget(attempt_id)  # in case what is remembered is of another attempt
    return False


@cache
def _answer_upsert(dialect: str, claim: str, roles: tuple[Role, ...]) -> TextClause:
    """Insert or replace an answer, only while its attempt is the claimed user's, in progress
    and in time (the seed: the attempt whose questions were looked up).

    Written out because SQLAlchemy cannot cache a dialect's INSERT ... SELECT ... ON
    CONFLICT, and compiling it again on every save cost more than the rest of the save."""
    response = "CAST(:response AS JSON)" if dialect == "postgresql" else ":response"
    # The weakest lock (the one a foreign key takes): a submit's lock makes it wait, and then
    # it reads the attempt again: submitted, nothing written. SQLite: writers take turns.
    waits_for_submit = " FOR KEY SHARE OF attempts" if dialect == "postgresql" else ""
    answers = Answer.__table__.c
    claimed_user_ids, claim_parameters = login.claimed_user_ids(claim, roles)
    return text(
        "INSERT INTO answers"  # noqa: S608 - no input in it: the database's JSON parameter
        " (attempt_id, question_id, response, saved_at, is_final, grader_comment)"
        f" SELECT id, :question_id, {response}, :now, false, '' FROM attempts"
        " WHERE id = :attempt_id AND seed = :seed AND status = :in_progress"
        " AND deadline_at >= :now AND enrolment_id IN (SELECT enrolments.id FROM enrolments"
        " JOIN candidates ON candidates.id = enrolments.candidate_id"
        f" WHERE candidates.user_id IN ({claimed_user_ids})){waits_for_submit}"
        " ON CONFLICT (attempt_id, question_id)"
        " DO UPDATE SET response = excluded.response, saved_at = excluded.saved_at"
        " WHERE answers.saved_at <= excluded.saved_at"  # two tabs: the newest save stands
    ).bindparams(
        *claim_parameters,
        bindparam("response", type_=answers.response.type),
        bindparam("now", type_=answers.saved_at.type),
        bindparam("in_progress", AttemptStatus.IN_PROGRESS, type_=Attempt.__table__.c.status.type),
    )


def save(
    session: Session,
    attempt: Attempt,
    question_id: int,
    response,
    now: datetime,
    answered_at: datetime | None = None,
) -> Answer | LateAnswer:
    """Save one answer as given (idempotent): the one door through which answers change.

    Before the deadline the answer counts. After it, an answer the page says was given before
    the deadline counts when it arrives within the exam's grace period; any other late answer
    is kept apart (a `LateAnswer`) for an instructor to accept, never dropped. Refused once the
    trainee has submitted.
    """
    item = next((i for i in attempt.items if i["question_id"] == question_id), None)
    if item is None:
        raise ExamError("本试卷没有这道题", status=404, code="no_such_question")
    check_response(response, shape_of(item))
    deadline = attempt.deadline_at
    if attempt.status is AttemptStatus.SUBMITTED and attempt.submitted_at < deadline:
        raise ExamError("试卷已提交，不能再修改答案", code="submitted")
    if now <= deadline and attempt.status is AttemptStatus.IN_PROGRESS:
        return _write(session, attempt, question_id, response, now)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        submit(session, attempt, now)
    # The page's clock is trusted only this far: a claim beyond the grace is kept apart.
    given_in_time = answered_at is not None and answered_at <= deadline
    if given_in_time and now <= deadline + timedelta(seconds=attempt.exam.late_grace_seconds):
        answer = _write(session, attempt, question_id, response, now)
        grade_attempt(session, attempt)
        return answer
    return _keep_late(session, attempt, question_id, response, answered_at, now)


def _write(session: Session, attempt: Attempt, question_id: int, response, now) -> Answer:
    answer = session.scalar(
        select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == question_id)
    )
    if answer is None:
        answer = Answer(attempt_id=attempt.id, question_id=question_id)
        session.add(answer)
        attempt.answers.append(answer)
    elif answer.saved_at > now:
        return answer  # a newer save of the same question already stands (two tabs)
    elif answer.response != response and attempt.status is AttemptStatus.SUBMITTED:
        # A new response after submission (a late one accepted): its old grade no longer holds.
        answer.graded_by_id, answer.is_final, answer.grader_comment = None, False, ""
    answer.response, answer.saved_at = response, now
    session.flush()
    return answer


def _keep_late(session, attempt, question_id, response, answered_at, now) -> LateAnswer:
    late = session.scalar(
        select(LateAnswer).where(
            LateAnswer.attempt_id == attempt.id, LateAnswer.question_id == question_id
        )
    )
    if late is None:
        late = LateAnswer(attempt_id=attempt.id, question_id=question_id)
        session.add(late)
        attempt.late_answers.append(late)
    elif late.is_accepted:
        raise ExamError("该题的迟交答案已被教师采纳，不能再修改", code="submitted")
    late.response, late.received_at = response, now
    late.answered_at = min(answered_at, now) if answered_at is not None else None
    session.flush()
    return late


def accept_late(session: Session, late: LateAnswer, user: User, now: datetime) -> Answer:
    """An instructor lets a late answer count: it becomes the attempt's answer, regraded."""
    attempt = session.get(Attempt, late.attempt_id)
    if late.is_accepted:
        raise ExamError("该答案已被采纳")
    answer = _write(session, attempt, late.question_id, late.response, now)
    late.accepted_at, late.accepted_by_id = now, user.id
    grade_attempt(session, attempt)
    return answer


def submit(session: Session, attempt: Attempt, now: datetime) -> Attempt:
    """Submit and grade the attempt (idempotent); late calls count as made at the deadline.

    The attempt is locked and read again first, so the answers graded are all that were
    saved: a save's statement that comes meanwhile waits, then finds it submitted."""
    if attempt.status is AttemptStatus.SUBMITTED:
        return attempt
    session.flush()
    session.refresh(attempt, with_for_update=True)  # SQLite: writers take turns anyway
    session.expire(attempt, ["answers", "late_answers"])
    if attempt.status is AttemptStatus.SUBMITTED:
        return attempt  # a parallel submit came first
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = min(now, attempt.deadline_at)
    grade_attempt(session, attempt)
    return attempt


def grade_attempt(session: Session, attempt: Attempt) -> None:
    """Grade every answer automatically where the question type allows it."""
    answers = {a.question_id: a for a in attempt.answers}
    total, is_final = Decimal(0), True
    for item in attempt.items:
        answer = answers.get(item["question_id"])
        question = question_as_asked(item)
        response = answer.response if answer else None
        if answer is not None and answer.is_final and answer.graded_by_id is not None:
            score = answer.score  # an instructor's grade stands until regraded by one
        else:
            result = grade(question, response, Decimal(item["points"]), policy(attempt.exam))
            score = result.score
            if answer is None:
                answer = Answer(attempt_id=attempt.id, question_id=item["question_id"])
                session.add(answer)
                attempt.answers.append(answer)
            answer.score, answer.is_final = score, result.is_final
            is_final = is_final and result.is_final
        total += score or Decimal(0)
    attempt.score, attempt.is_fully_graded = total, is_final
    session.flush()


def finalize_overdue(
    session: Session,
    now: datetime,
    *,
    exam_ids: Iterable[int] | None = None,
    class_id: int | None = None,
    enrolment_ids: Iterable[int] | None = None,
) -> int:
    """Submit every abandoned attempt whose deadline has passed (of these exams, this class or
    these enrolments, when given); returns how many. Whatever shows results, grades or
    completion calls this first, so a trainee who walked away is graded, not absent."""
    stmt = select(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < now
    )
    if exam_ids is not None:
        stmt = stmt.where(Attempt.exam_id.in_(list(exam_ids)))
    if class_id is not None:
        stmt = stmt.where(Attempt.exam_id.in_(select(Exam.id).where(Exam.class_id == class_id)))
    if enrolment_ids is not None:
        stmt = stmt.where(Attempt.enrolment_id.in_(list(enrolment_ids)))
    overdue = session.scalars(stmt).all()
    for attempt in overdue:
        submit(session, attempt, now)
    return len(overdue)


def regrade(session: Session, question: Question) -> int:
    """After a key is corrected: give every attempt the corrected key and grade it again."""
    affected = 0
    for attempt in session.scalars(select(Attempt).where(Attempt.status == "submitted")):
        items = [dict(i) for i in attempt.items]
        hit = False
        for item in items:
            if item["question_id"] == question.id:
                item["data"], item["revision"], hit = question.data, question.revision, True
        if hit:
            attempt.items = items
            for answer in attempt.answers:
                if answer.question_id == question.id and answer.graded_by_id is None:
                    answer.is_final = False
            grade_attempt(session, attempt)
            affected += 1
    return affected


def public_items(attempt: Attempt) -> list[dict[str, Any]]:
    """The attempt's questions without answers or explanations, options in the trainee's order."""
    return [
        {
            "question_id": item["question_id"],
            "points": item["points"],
            **public_fields(question_as_asked(item)),
        }
        for item in attempt.items
    ]


def may_see_answers(attempt: Attempt, now: datetime) -> bool:
    """True when the review policy lets the trainee see the key: only after the window closes."""
    return (
        attempt.exam.review_policy is ReviewPolicy.ANSWERS_AFTER_CLOSE
        and now >= attempt.exam.closes_at
    )
