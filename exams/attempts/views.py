"""The trainee's exam pages: the list, and the page that takes an exam through the JSON API."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from courses.models import Enrolment
from courses.services import approved_enrolments
from exams.attempts import services
from exams.models import Exam
from partyschool.access import allow
from partyschool.accounts.models import Role
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
    return render_template("exams/attempts/take.html", exam=exam)
