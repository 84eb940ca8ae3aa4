"""What a trainee may see of their own outcome: the class grade of each class, and their paper
after submitting, with the key and explanations only once the review policy allows."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Enrolment, TrainingClass
from exams.attempts.services import attempts_of, may_see_answers, question_as_asked
from exams.class_grades import ClassGrade, class_grade
from exams.models import Attempt, AttemptStatus, Exam, ExamKind, ReviewPolicy
from exams.questions import QuestionData, as_points


@dataclass(frozen=True)
class ClassOutcome:
    """A trainee's class grade as they may see it, and the makeup exams still open to them."""

    training_class: TrainingClass
    grade: ClassGrade
    is_exam_hidden: bool  # an exam of the class publishes no score: the grade waits
    makeups: list[Exam]


def class_outcome(session: Session, enrolment: Enrolment, now: datetime) -> ClassOutcome:
    """The trainee's class grade (平时/实践/考试, weights, 合格) and any makeup (补考) ahead."""
    grade = class_grade(session, enrolment)
    exams = session.scalars(
        select(Exam).where(Exam.class_id == enrolment.class_id).order_by(Exam.opens_at)
    ).all()
    sat = {
        attempt.exam_id
        for exam in exams
        for attempt in attempts_of(session, exam, enrolment)
        if attempt.status is AttemptStatus.SUBMITTED
    }
    hidden = any(e.id in sat and e.review_policy is ReviewPolicy.NOTHING for e in exams)
    makeups = []
    if not grade.exam_passed:
        makeups = [e for e in exams if e.kind is ExamKind.MAKEUP and e.closes_at > now]
    return ClassOutcome(enrolment.training_class, grade, hidden, makeups)


@dataclass(frozen=True)
class ReviewItem:
    """One question of the trainee's paper as they were asked it, with their answer; the key,
    the explanation and the score only when review is allowed."""

    number: int
    question: QuestionData
    points: Decimal
    response: object
    score: Decimal | None
    is_late: bool
    show_key: bool


def review(attempt: Attempt, now: datetime) -> list[ReviewItem]:
    """The trainee's submitted paper question by question, as the review policy allows."""
    answers = {a.question_id: a for a in attempt.answers}
    late = {a.question_id for a in attempt.late_answers if not a.is_accepted}
    show_key = may_see_answers(attempt, now)
    items = []
    for number, item in enumerate(attempt.items, start=1):
        answer = answers.get(item["question_id"])
        items.append(
            ReviewItem(
                number=number,
                question=question_as_asked(item),
                points=as_points(item["points"]),
                response=answer.response if answer else None,
                score=answer.score if answer is not None and show_key else None,
                is_late=item["question_id"] in late,
                show_key=show_key,
            )
        )
    return items
