"""Reading reports (学习心得): the trainee writes one, the class's teachers review the queue."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from courses.models import (
    Enrolment,
    ReadingReport,
    ReportStatus,
    TrainingClass,
)
from courses.reports import services
from courses.reports.forms import DraftForm, ReportForm, ReviewForm
from courses.reports.similarity import shared_passages
from courses.services import approved_enrolment, approved_enrolments
from partyschool.access import allow, can_see_school, get_scoped, scope_to_user
from partyschool.accounts.models import TEACHING_STAFF, Role
from partyschool.extensions import db, utcnow
from partyschool.web.navigation import add_nav

bp = Blueprint("reports", __name__)

add_nav("学习心得", "reports.mine", Role.ACTIVIST)
add_nav("心得审阅", "reports.classes", *TEACHING_STAFF)


@bp.app_context_processor
def report_labels() -> dict:
    """Status names and the similarity threshold for every report template."""
    return {
        "REPORT_STATUS_LABELS": services.STATUS_LABELS,
        "SIMILAR_THRESHOLD": services.SIMILAR_THRESHOLD,
        "report_chars": services.char_count,
    }


def _own_enrolment(class_id: int) -> Enrolment:
    """The signed-in trainee's admitted place in the class; 404 for anyone else."""
    enrolment = approved_enrolment(db.session, current_user, class_id)
    if enrolment is None:
        abort(404)
    return enrolment


def _class(class_id: int) -> TrainingClass:
    return get_scoped(TrainingClass, class_id)


def _report(report_id: int) -> ReadingReport:
    return get_scoped(
        ReadingReport, report_id, lambda report: report.enrolment.training_class.party_school
    )


@bp.get("/my/reports")
@allow(Role.ACTIVIST)
def mine():
    """The trainee's classes that ask for a reading report, and where each report stands."""
    enrolments = db.session.scalars(
        approved_enrolments(current_user)
        .join(Enrolment.training_class)
        .where(TrainingClass.report_min_chars > 0)
        .order_by(TrainingClass.starts_on.desc())
    ).all()
    latest = {e.id: services.latest(db.session, e) for e in enrolments}
    return render_template("courses/reports/mine.html", enrolments=enrolments, latest=latest)


@bp.route("/classes/<int:class_id>/report", methods=["GET", "POST"])
@allow(Role.ACTIVIST)
def write(class_id: int):
    """Write and submit the reading report of a class; see its status and the comment."""
    enrolment = _own_enrolment(class_id)
    history = services.history(db.session, enrolment)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.submit(db.session, enrolment, form.text.data, utcnow())
        except services.ReportError as error:
            form.text.errors.append(str(error))
        else:
            db.session.commit()
            flash("学习心得已提交，请等待老师审阅", "info")
            return redirect(url_for("reports.write", class_id=class_id))
    elif not form.is_submitted() and history and history[0].status is ReportStatus.RETURNED:
        form.text.data = history[0].text  # a returned report is revised, not rewritten
    draft = services.draft_of(db.session, enrolment)
    if draft is not None and not form.is_submitted():
        form.text.data = draft.text  # the trainee's own latest words come first
    return render_template(
        "courses/reports/write.html",
        enrolment=enrolment,
        training_class=enrolment.training_class,
        history=history,
        refusal=services.refusal(db.session, enrolment),
        form=form,
        draft=draft,
    )


@bp.post("/classes/<int:class_id>/report/draft")
@allow(Role.ACTIVIST)
def save_draft(class_id: int):
    """Keep the report being written on the server, on the trainee's request."""
    enrolment = _own_enrolment(class_id)
    form = DraftForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash("；".join(errors), "error")
        return redirect(url_for("reports.write", class_id=class_id))
    try:
        draft = services.save_draft(db.session, enrolment, form.text.data or "", utcnow())
    except services.ReportError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            f"草稿已保存到服务器（{services.char_count(draft.text)} 字），可在其他设备继续撰写",
            "info",
        )
    return redirect(url_for("reports.write", class_id=class_id))


@bp.get("/reports")
@allow(*TEACHING_STAFF)
def classes():
    """Classes of the reviewer's party school that ask for reports, with how many await review."""
    stmt = scope_to_user(
        select(TrainingClass)
        .where(TrainingClass.report_min_chars > 0)
        .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc()),
        TrainingClass.party_school_id,
    )
    found = db.session.scalars(stmt).all()
    return render_template(
        "courses/reports/classes.html",
        classes=found,
        pending=services.pending_counts(db.session, found),
    )


@bp.get("/classes/<int:class_id>/reports")
@allow(*TEACHING_STAFF)
def queue(class_id: int):
    """The review queue of a class: pending reports first, with their similarity."""
    training_class = _class(class_id)
    found = services.queue(db.session, training_class)
    return render_template(
        "courses/reports/queue.html",
        training_class=training_class,
        reports=found,
        authors=services.authors(db.session, [r.similar_to_id for r in found if r.similar_to_id]),
        missing=services.missing(db.session, training_class),
    )


def _render_report(report: ReadingReport, form: ReviewForm):
    similar = db.session.get(ReadingReport, report.similar_to_id) if report.similar_to_id else None
    if similar is not None and not can_see_school(
        current_user, similar.enrolment.training_class.party_school_id
    ):
        similar = None
    return render_template(
        "courses/reports/show.html",
        report=report,
        candidate=report.enrolment.candidate,
        training_class=report.enrolment.training_class,
        similar=similar,
        passages=shared_passages(report.text, similar.text) if similar else None,
        similar_passages=shared_passages(similar.text, report.text) if similar else None,
        later=services.similar_later(db.session, report),
        history=services.history(db.session, report.enrolment),
        form=form,
    )


@bp.get("/reports/<int:report_id>")
@allow(*TEACHING_STAFF)
def show(report_id: int):
    """A report beside its most similar earlier report, shared passages marked."""
    return _render_report(_report(report_id), ReviewForm())


@bp.post("/reports/<int:report_id>/review")
@allow(*TEACHING_STAFF)
def review(report_id: int):
    """Pass a report, or return it to the trainee with a comment."""
    report = _report(report_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_report(report, form)
    passed = form.decision.data == "pass"
    try:
        services.review(db.session, report, current_user, passed, form.comment.data)
    except services.ReportError as error:
        flash(str(error), "error")
        return redirect(url_for("reports.show", report_id=report.id))
    db.session.commit()
    name = report.enrolment.candidate.name
    flash(f"已{'通过' if passed else '退回'}{name}的学习心得", "info")
    return redirect(url_for("reports.queue", class_id=report.enrolment.class_id))
