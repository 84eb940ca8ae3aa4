"""Staff pages of results: an exam's results and statistics with their spreadsheets, one
attempt question by question, and a class's scores sheet."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from exams import class_grades
from exams.attempts.services import submit
from exams.formats.xlsx import XLSX_MIMETYPE
from exams.models import AttemptStatus
from exams.results import services
from exams.results.forms import parse_scores
from exams.staff import download, load_attempt, load_class, load_exam, template_helpers
from partyschool.access import allow
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import db, utcnow

bp = Blueprint("exam_results", __name__, url_prefix="/exam-admin")
bp.context_processor(template_helpers)


@bp.get("/exams/<int:exam_id>/results")
@allow(*TEACHING_STAFF)
def results(exam_id: int):
    """Each trainee's best score, the distribution, and item difficulty and discrimination."""
    exam = load_exam(exam_id)
    results = services.exam_results(db.session, exam)
    db.session.commit()  # abandoned attempts were finalized on the way
    return render_template("exams/results/results.html", exam=exam, results=results)


@bp.get("/exams/<int:exam_id>/results.xlsx")
@allow(*TEACHING_STAFF)
def results_xlsx(exam_id: int):
    """The trainees' results as an .xlsx download."""
    return _sheet(exam_id, services.results_xlsx, "成绩")


@bp.get("/exams/<int:exam_id>/items.xlsx")
@allow(*TEACHING_STAFF)
def items_xlsx(exam_id: int):
    """The item statistics as an .xlsx download."""
    return _sheet(exam_id, services.items_xlsx, "试题分析")


def _sheet(exam_id: int, write, what: str):
    exam = load_exam(exam_id)
    content = write(services.exam_results(db.session, exam))
    db.session.commit()
    return download(content, XLSX_MIMETYPE, f"{exam.title}{what}.xlsx")


@bp.get("/attempts/<int:attempt_id>")
@allow(*TEACHING_STAFF)
def attempt(attempt_id: int):
    """One attempt question by question: the key, the response, the score."""
    found = load_attempt(attempt_id)
    if found.status is AttemptStatus.IN_PROGRESS and utcnow() > found.deadline_at:
        submit(db.session, found, utcnow())
        db.session.commit()
    return render_template(
        "exams/results/attempt.html",
        attempt=found,
        exam=found.exam,
        items=services.attempt_review(found),
        late=services.late_review(found),
    )


@bp.route("/classes/<int:class_id>/scores", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def class_scores(class_id: int):
    """Enter usual and practice scores (0-100) and see every trainee's class grade."""
    training_class = load_class(class_id)
    enrolments = class_grades.admitted(db.session, training_class)
    problems: list[str] = []
    if request.method == "POST":
        scores, problems = parse_scores(request.form, [e.id for e in enrolments])
        if not problems:
            try:
                changed = class_grades.record_scores(db.session, training_class, scores)
            except class_grades.GradeError as error:
                db.session.rollback()
                problems = [str(error)]
            else:
                db.session.commit()
                flash(f"已保存 {changed} 名学员的成绩", "info")
                return redirect(url_for("exam_results.class_scores", class_id=class_id))
    grades = class_grades.class_grades(db.session, training_class)
    db.session.commit()  # abandoned attempts were finalized on the way
    return render_template(
        "exams/results/scores.html",
        training_class=training_class,
        enrolments=enrolments,
        grades=grades,
        problems=problems,
        entered=request.form if problems else {},
    )
