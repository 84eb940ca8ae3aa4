"""Staff pages of marking: an exam's essay queue and grading one answer."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from exams.attempts.services import ExamError, accept_late
from exams.errors import ManageError
from exams.marking import services
from exams.marking.forms import GradeForm
from exams.models import Attempt
from exams.staff import load_answer, load_exam, load_late_answer, template_helpers
from partyschool.access import allow
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import db, utcnow

bp = Blueprint("exam_marking", __name__, url_prefix="/exam-admin")
bp.context_processor(template_helpers)


@bp.get("/exams/<int:exam_id>/grading")
@allow(*TEACHING_STAFF)
def grading(exam_id: int):
    """The essay grading queue of an exam: answers waiting first, then those graded."""
    exam = load_exam(exam_id)
    pending, graded = services.grading_queue(db.session, exam)
    db.session.commit()  # abandoned attempts were finalized on the way
    return render_template("exams/marking/grading.html", exam=exam, pending=pending, graded=graded)


@bp.route("/answers/<int:answer_id>/grade", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def grade_answer(answer_id: int):
    """Grade one essay answer (0..points, with a comment); the attempt's total follows."""
    answer = load_answer(answer_id)
    attempt = db.session.get(Attempt, answer.attempt_id)
    item = services.grading_item(answer, attempt)
    form = GradeForm()
    if not form.is_submitted() and answer.graded_by_id is not None:
        form.score.data, form.comment.data = answer.score, answer.grader_comment
    if form.validate_on_submit():
        try:
            services.grade_answer(
                db.session, answer, form.score.data, form.comment.data or "", current_user
            )
        except ManageError as error:
            db.session.rollback()
            form.score.errors = [*form.score.errors, str(error)]
        else:
            db.session.commit()
            flash(f"已评分：{item.candidate.name} 第 {item.number} 题", "info")
            pending, _ = services.grading_queue(db.session, attempt.exam)
            if pending:
                return redirect(
                    url_for("exam_marking.grade_answer", answer_id=pending[0].answer.id)
                )
            return redirect(url_for("exam_marking.grading", exam_id=attempt.exam_id))
    return render_template("exams/marking/grade.html", item=item, form=form, exam=attempt.exam)


@bp.post("/late-answers/<int:late_id>/accept")
@allow(*TEACHING_STAFF)
def accept_late_answer(late_id: int):
    """Let an answer that arrived after the deadline count; the attempt is graded again."""
    late = load_late_answer(late_id)
    try:
        accept_late(db.session, late, current_user, utcnow())
    except ExamError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("已采纳迟交答案，成绩已重新计算", "info")
    return redirect(url_for("exam_results.attempt", attempt_id=late.attempt_id))
