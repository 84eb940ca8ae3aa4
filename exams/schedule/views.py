"""Staff pages of the exams of a training class."""

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from courses.models import TrainingClass
from exams.banks.forms import BankForm
from exams.banks.services import visible_banks
from exams.errors import ManageError
from exams.marking.services import pending_counts
from exams.models import Exam
from exams.papers.services import usable_papers, visible_papers
from exams.schedule import services
from exams.schedule.forms import ExamForm
from exams.staff import load_class, load_exam, template_helpers
from partyschool.access import allow, can_see_school
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import BEIJING, db

bp = Blueprint("exam_schedule", __name__, url_prefix="/exam-admin")
bp.context_processor(template_helpers)


@bp.get("/")
@allow(*TEACHING_STAFF)
def index():
    """The overview: question banks, papers, and the classes whose exams the user manages."""
    classes = services.managed_classes(db.session, current_user)
    return render_template(
        "exams/schedule/index.html",
        banks=visible_banks(db.session, current_user),
        papers=visible_papers(db.session, current_user),
        classes=classes,
        exam_counts=services.exam_counts(db.session, classes),
        bank_form=BankForm(),
        can_edit=lambda school: can_see_school(current_user, school.id),
    )


@bp.get("/classes/<int:class_id>/exams")
@allow(*TEACHING_STAFF)
def class_exams(class_id: int):
    """The exams of a training class, with links to grading and results."""
    training_class = load_class(class_id)
    exams = services.class_exams(db.session, training_class)
    pending = pending_counts(db.session, exams)
    db.session.commit()  # abandoned attempts were finalized on the way
    return render_template(
        "exams/schedule/class_exams.html",
        training_class=training_class,
        exams=exams,
        pending=pending,
    )


def _exam_form(training_class: TrainingClass, exam: Exam | None) -> ExamForm:
    form = ExamForm(obj=exam)
    rows = usable_papers(db.session, training_class.party_school_id)
    form.paper_id.choices = [
        SelectChoice(r.paper.id, f"{r.paper.title}（{r.school.name}，满分 {r.paper.total_points}）")
        for r in rows
    ]
    if exam is not None and not form.is_submitted():
        form.opens_at.data = exam.opens_at.astimezone(BEIJING).replace(tzinfo=None)
        form.closes_at.data = exam.closes_at.astimezone(BEIJING).replace(tzinfo=None)
    if exam is None and not form.is_submitted():
        form.pass_mark.data = Decimal(60)
    return form


def _save_exam(training_class: TrainingClass, exam: Exam | None):
    form = _exam_form(training_class, exam)
    problems: list[str] = []
    if form.validate_on_submit():
        values = services.ExamValues(
            title=form.title.data.strip(),
            paper_id=form.paper_id.data,
            kind=form.kind.data,
            opens_at=form.opens_at.data.replace(tzinfo=BEIJING),
            closes_at=form.closes_at.data.replace(tzinfo=BEIJING),
            time_limit_minutes=form.time_limit_minutes.data,
            max_attempts=form.max_attempts.data,
            pass_mark=form.pass_mark.data,
            review_policy=form.review_policy.data,
            multiple_partial_credit=form.multiple_partial_credit.data,
            late_grace_seconds=form.late_grace_seconds.data or 0,
        )
        try:
            saved, regraded = services.save_exam(db.session, training_class, exam, values)
        except ManageError as error:
            db.session.rollback()
            problems = error.problems
        else:
            db.session.commit()
            flash(
                f"已保存考试，并按新的多选题评分规则重新评分 {regraded} 份答卷"
                if regraded
                else "已保存考试",
                "info",
            )
            return redirect(url_for("exam_schedule.class_exams", class_id=saved.class_id))
    return render_template(
        "exams/schedule/exam_form.html",
        form=form,
        training_class=training_class,
        exam=exam,
        problems=problems,
    )


@bp.route("/classes/<int:class_id>/exams/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_exam(class_id: int):
    """Set an exam (formal or makeup) for a class of the user's party school."""
    return _save_exam(load_class(class_id), None)


@bp.route("/exams/<int:exam_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_exam(exam_id: int):
    """Change an exam's window, limits, pass mark and review policy."""
    exam = load_exam(exam_id)
    return _save_exam(exam.training_class, exam)
