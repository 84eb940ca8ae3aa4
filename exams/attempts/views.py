"""The trainee's exam pages: the list, and the page that takes an exam through the JSON API."""

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from courses.models import Enrolment
from courses.services import approved_enrolments
from exams.attempts import services
from exams.models import Attempt, AttemptStatus, Exam
from exams.question_types import key_text, response_text
from exams.questions import option_letter
from exams.results import trainee
from partyschool.access import allow
from partyschool.accounts.models import Role
from partyschool.candidates.models import Candidate
from partyschool.extensions import db, utcnow

bp = Blueprint("exams", __name__, url_prefix="/exams")


def _own_exams():
    return db.session.execute(
        approved_enrolments(current_user)
        .join(Exam, Exam.class_id == Enrolment.class_id)
        .with_only_columns(Exam, Enrolment)
        .order_by(Exam.opens_at.desc())
    ).all()


@bp.get("/mine")
@allow(Role.ACTIVIST)
def mine():
    """The trainee's exams: open, upcoming and past, with what stands in the way."""
    now = utcnow()
    services.finalize_overdue(
        db.session, now, enrolment_ids=[enrolment.id for _, enrolment in _own_exams()]
    )
    db.session.commit()
    rows = [
        (
            exam,
            services.problems(db.session, exam, enrolment, now),
            services.attempts_of(db.session, exam, enrolment),
        )
        for exam, enrolment in _own_exams()
    ]
    return render_template("exams/attempts/mine.html", rows=rows, now=now)


@bp.get("/<int:exam_id>/take")
@allow(Role.ACTIVIST)
def take(exam_id: int):
    """The exam page; questions and answers travel only through the JSON API."""
    exam = next((e for e, _ in _own_exams() if e.id == exam_id), None)
    if exam is None:
        abort(404)
    submitted = db.session.scalars(
        select(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(Candidate, Candidate.id == Enrolment.candidate_id)
        .where(
            Attempt.exam_id == exam.id,
            Candidate.user_id == current_user.id,
            Attempt.status == AttemptStatus.SUBMITTED,
        )
        .order_by(Attempt.number)
    ).all()
    return render_template("exams/attempts/take.html", exam=exam, submitted=submitted)


@bp.get("/grades")
@allow(Role.ACTIVIST)
def grades():
    """The trainee's class grade in each class: components, weights, 合格 or not, 补考."""
    now = utcnow()
    enrolments = db.session.scalars(approved_enrolments(current_user)).all()
    outcomes = [trainee.class_outcome(db.session, e, now) for e in enrolments]
    db.session.commit()  # abandoned attempts were finalized on the way
    return render_template("exams/attempts/grades.html", outcomes=outcomes)


@bp.get("/attempts/<int:attempt_id>/review")
@allow(Role.ACTIVIST)
def review(attempt_id: int):
    """The trainee's own submitted paper; the key and explanations once review is allowed."""
    attempt = db.session.scalar(
        select(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(Candidate, Candidate.id == Enrolment.candidate_id)
        .where(Attempt.id == attempt_id, Candidate.user_id == current_user.id)
    )
    if attempt is None:
        abort(404)
    now = utcnow()
    if attempt.status is AttemptStatus.IN_PROGRESS and now > attempt.deadline_at:
        services.submit(db.session, attempt, now)
        db.session.commit()
    if attempt.status is not AttemptStatus.SUBMITTED:
        abort(404)
    return render_template(
        "exams/attempts/review.html",
        attempt=attempt,
        exam=attempt.exam,
        items=trainee.review(attempt, now),
        key_text=key_text,
        response_text=response_text,
        option_letter=option_letter,
    )
