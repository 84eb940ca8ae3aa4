"""Marking: the queue of answers (essays) waiting for an instructor, and an instructor's grade.
Functions take the session first and only flush; the request commits once."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from courses.models import Enrolment
from exams.attempts.services import finalize_overdue, grade_attempt, question_as_asked
from exams.errors import ManageError
from exams.models import Answer, Attempt, AttemptStatus, Exam
from exams.question_grading import manual_grade
from exams.questions import QuestionData, as_points
from partyschool.accounts.models import User
from partyschool.accounts.notifications import notify
from partyschool.candidates.models import Candidate
from partyschool.extensions import utcnow


@dataclass(frozen=True)
class GradingItem:
    """An answer waiting for (or given) an instructor's grade, with what was asked."""

    answer: Answer | None
    attempt: Attempt
    question: QuestionData
    points: Decimal
    number: int  # the question's place in the attempt, from 1

    @property
    def candidate(self) -> Candidate:
        """The trainee who answered."""
        return self.attempt.enrolment.candidate


def grading_item(answer: Answer, attempt: Attempt) -> GradingItem:
    """The answer with the question as this attempt asked it."""
    for number, item in enumerate(attempt.items, start=1):
        if item["question_id"] == answer.question_id:
            return GradingItem(
                answer, attempt, question_as_asked(item), as_points(item["points"]), number
            )
    raise LookupError(f"answer {answer.id} is not of attempt {attempt.id}")


def grading_queue(session: Session, exam: Exam) -> tuple[list[GradingItem], list[GradingItem]]:
    """Submitted answers of the exam that await a grade, and those an instructor graded
    (abandoned attempts past their deadline are submitted first)."""
    finalize_overdue(session, utcnow(), exam_ids=[exam.id])
    rows = session.execute(
        select(Answer, Attempt)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .options(joinedload(Attempt.enrolment).joinedload(Enrolment.candidate))
        .where(
            Attempt.exam_id == exam.id,
            Attempt.status == AttemptStatus.SUBMITTED,
            or_(Answer.is_final.is_(False), Answer.graded_by_id.is_not(None)),
        )
        .order_by(Attempt.submitted_at, Attempt.id, Answer.id)
    ).all()
    items = [grading_item(answer, attempt) for answer, attempt in rows]
    pending = [i for i in items if not i.answer.is_final]
    graded = [i for i in items if i.answer.is_final]
    return pending, graded


def pending_counts(session: Session, exams: Sequence[Exam]) -> dict[int, int]:
    """How many submitted answers of each exam wait for an instructor."""
    finalize_overdue(session, utcnow(), exam_ids=[e.id for e in exams])
    stmt = (
        select(Attempt.exam_id, func.count(Answer.id))
        .join(Answer, Answer.attempt_id == Attempt.id)
        .where(
            Attempt.exam_id.in_([e.id for e in exams]),
            Attempt.status == AttemptStatus.SUBMITTED,
            Answer.is_final.is_(False),
        )
        .group_by(Attempt.exam_id)
    )
    return dict(session.execute(stmt).all())


def grade_answer(session: Session, answer: Answer, score, comment: str, grader: User) -> Attempt:
    """An instructor's grade of an answer (0..points): it is final, and the attempt's total
    is refreshed."""
    attempt = session.get(Attempt, answer.attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        raise ManageError("考生尚未交卷，不能评分")
    item = grading_item(answer, attempt)
    try:
        result = manual_grade(score, item.points, comment)
    except ValueError as error:
        raise ManageError(str(error)) from error
    answer.score, answer.is_final = result.score, True
    answer.grader_comment, answer.graded_by_id = comment.strip(), grader.id
    grade_attempt(session, attempt)
    if attempt.is_fully_graded:
        notify(
            session,
            attempt.enrolment.candidate.user_id,
            f"{attempt.exam.title}：成绩已评定",
            "/exams/mine",
        )
    return attempt
