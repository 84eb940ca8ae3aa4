"""The graduate branch's 双向培养 archive: the list with filters and export, each file with
its yearly evaluations."""

from collections.abc import Callable
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from partyschool.access import allow, get_scoped, scope_to_user
from partyschool.accounts.models import ORGANIZERS
from partyschool.audit import AuditEvent, describe
from partyschool.candidates.models import Candidate
from partyschool.candidates.services import RecordError
from partyschool.candidates.twoway import forms, services
from partyschool.candidates.twoway.models import (
    DIRECTION_LABELS,
    GRADE_LABELS,
    TwoWayEvaluation,
    TwoWayFile,
)
from partyschool.extensions import db, today
from partyschool.web.navigation import add_nav

bp = Blueprint("twoway", __name__, url_prefix="/twoway")
# The school admin's bar is full; they reach the archive from the records list (发展档案).
add_nav("双向培养", "twoway.index", *ORGANIZERS, when=services.is_graduate_branch)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
def _graduate_branch_only():
    """District branches have no 双向培养 archive: for them these pages do not exist."""
    user = current_user
    if user.is_authenticated and user.role in ORGANIZERS and not services.may_keep(user):
        abort(404)


@bp.app_context_processor
def twoway_labels() -> dict:
    """Directions and grades in Chinese for every template, and whether the user keeps the
    archive (asked only by the pages that link to it)."""
    return {
        "DIRECTION_LABELS": DIRECTION_LABELS,
        "GRADE_LABELS": GRADE_LABELS,
        "may_keep_two_way": lambda: services.may_keep(current_user),
    }


def _file(file_id: int) -> TwoWayFile:
    return get_scoped(TwoWayFile, file_id, lambda f: f.candidate.party_school)


def _scoped_student(student_no: str) -> Candidate | None:
    stmt = select(Candidate).where(Candidate.student_no == student_no.strip())
    return db.session.scalar(scope_to_user(stmt, Candidate.party_school_id))


def _evaluation(file: TwoWayFile, evaluation_id: int) -> TwoWayEvaluation:
    evaluation = next((e for e in file.evaluations if e.id == evaluation_id), None)
    if evaluation is None:
        abort(404)
    return evaluation


def _submitted(form, change: Callable[[], object], done: str, file_id: Callable[[], int]):
    """On a valid submit, change through the service and commit, then show the file; a
    refusal is shown on the form, which keeps what was typed."""
    if not form.validate_on_submit():
        return None
    try:
        change()
    except RecordError as error:
        flash(str(error), "error")
        db.session.rollback()
        return None
    db.session.commit()
    flash(done, "info")
    return redirect(url_for("twoway.show", file_id=file_id()))


@bp.get("/")
@allow(*ORGANIZERS)
def index():
    """The 双向培养 files of the graduate branch, filtered, with each latest evaluation."""
    query = services.FileQuery.from_args(request.args)
    return render_template(
        "candidates/twoway/index.html",
        files=services.files(db.session, current_user, query),
        query=query,
    )


@bp.get("/export.xlsx")
@allow(*ORGANIZERS)
def export():
    """The filtered list with each latest evaluation as XLSX."""
    query = services.FileQuery.from_args(request.args)
    return send_file(
        BytesIO(services.export_xlsx(db.session, current_user, query)),
        download_name=f"two-way-files-{today().isoformat()}.xlsx",
        as_attachment=True,
        mimetype=XLSX,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def new():
    """Open a file for a graduate student named by 学号; from a student's record, their file
    when they have one."""
    named = request.args.get("student_no", "")
    if request.method == "GET" and named:
        candidate = _scoped_student(named)
        file_id = candidate and db.session.scalar(
            select(TwoWayFile.id).where(TwoWayFile.candidate_id == candidate.id)
        )
        if file_id:
            return redirect(url_for("twoway.show", file_id=file_id))
    form = forms.NewFileForm(started_on=today(), student_no=named)
    opened: list[TwoWayFile] = []

    def open_file():
        candidate = _scoped_student(form.student_no.data)
        if candidate is None:
            raise RecordError("本分党校没有这个学号的学生")
        opened.append(
            services.open_file(db.session, candidate, form.values(), current_user, today())
        )

    if done := _submitted(form, open_file, "已建立双向培养档案", lambda: opened[0].id):
        return done
    return render_template("candidates/twoway/form.html", form=form, title="建立双向培养档案")


@bp.route("/<int:file_id>", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def show(file_id: int):
    """A file: the student, direction, mentor and goals, every year's evaluation, its
    history; and the form for the next year's evaluation."""
    file = _file(file_id)
    form = forms.EvaluationForm(year=today().year, evaluated_on=today())
    record = lambda: services.record_evaluation(  # noqa: E731
        db.session, file, form.values(), current_user, today()
    )
    if done := _submitted(form, record, "已记录年度评价", lambda: file.id):
        return done
    tables = ("two_way_files", "two_way_evaluations")
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.candidate_id == file.candidate_id, AuditEvent.table_name.in_(tables))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return render_template(
        "candidates/twoway/show.html",
        file=file,
        form=form,
        events=[describe(e) for e in events],
    )


@bp.route("/<int:file_id>/edit", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def edit(file_id: int):
    """Correct a file, with the reason."""
    file = _file(file_id)
    form = forms.CorrectFileForm(obj=file if request.method == "GET" else None)
    correct = lambda: services.correct_file(  # noqa: E731
        db.session, file, form.values(), form.change_reason.data, current_user, today()
    )
    if done := _submitted(form, correct, "已更正双向培养档案", lambda: file.id):
        return done
    title = f"更正双向培养档案：{file.candidate.name}"
    return render_template("candidates/twoway/form.html", form=form, title=title, file=file)


@bp.route("/<int:file_id>/evaluations/<int:evaluation_id>", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def correct_evaluation(file_id: int, evaluation_id: int):
    """Correct a year's evaluation, with the reason."""
    file = _file(file_id)
    evaluation = _evaluation(file, evaluation_id)
    form = forms.CorrectEvaluationForm(obj=evaluation if request.method == "GET" else None)
    correct = lambda: services.correct_evaluation(  # noqa: E731
        db.session, evaluation, form.values(), form.change_reason.data, current_user, today()
    )
    if done := _submitted(form, correct, "已更正年度评价", lambda: file.id):
        return done
    title = f"更正{evaluation.year}年度评价：{file.candidate.name}"
    return render_template("candidates/twoway/form.html", form=form, title=title, file=file)
