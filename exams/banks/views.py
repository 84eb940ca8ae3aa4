"""Staff pages of question banks: the exam-management overview, banks, questions, imports
and exports."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exams import formats
from exams.banks import services
from exams.banks.forms import BankForm, ImportForm
from exams.errors import ManageError
from exams.formats.common import MAX_TEXT_BYTES
from exams.formats.xlsx import TEMPLATE_HEADERS, XLSX_MIMETYPE
from exams.question_types import type_of
from exams.questions import QuestionType
from exams.staff import download, load_bank, load_question, template_helpers
from partyschool.access import allow, can_see_school
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import db
from partyschool.spreadsheets import MAX_UPLOAD_BYTES

bp = Blueprint("exam_banks", __name__, url_prefix="/exam-admin")
bp.context_processor(template_helpers)


UPLOAD_LIMIT = max(MAX_TEXT_BYTES, MAX_UPLOAD_BYTES) + 1


@bp.route("/banks/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_bank():
    """Create a question bank of the user's party school."""
    form = BankForm()
    if form.validate_on_submit():
        bank = services.create_bank(db.session, current_user.party_school, form.name.data)
        db.session.commit()
        flash(f"已创建题库“{bank.name}”", "info")
        return redirect(url_for("exam_banks.bank", bank_id=bank.id))
    return render_template("exams/banks/bank_form.html", form=form)


@bp.get("/banks/<int:bank_id>")
@allow(*TEACHING_STAFF)
def bank(bank_id: int):
    """A bank's questions by category, filtered by category, type, text and retirement."""
    found = load_bank(bank_id)
    kind = request.args.get("kind") or None
    if kind not in {None, *QuestionType}:
        kind = None
    category = request.args.get("category")
    questions = services.bank_questions(
        db.session,
        found,
        category=category if category not in (None, "*") else None,
        kind=kind,
        text=request.args.get("q", ""),
        include_retired=request.args.get("retired") == "1",
    )
    return render_template(
        "exams/banks/bank.html",
        bank=found,
        questions=questions,
        categories=services.bank_categories(db.session, found),
        filters={
            "kind": kind or "",
            "category": category if category is not None else "*",
            "q": request.args.get("q", ""),
            "retired": request.args.get("retired") == "1",
        },
        can_edit=can_see_school(current_user, found.party_school_id),
    )


def _question_type(value: str | None) -> QuestionType:
    try:
        return QuestionType(value)
    except ValueError:
        return QuestionType.SINGLE


def _render_question_form(form, bank, question, problems, usage=0):
    return render_template(
        "exams/banks/question_form.html",
        form=form,
        bank=bank,
        question=question,
        problems=problems,
        usage=usage,
        categories=[c for c, _ in services.bank_categories(db.session, bank)],
    )


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_question(bank_id: int):
    """Add a question of one type (?type=single|multiple|true_false|fill|essay) to a bank."""
    found = load_bank(bank_id, edit=True)
    question_type = _question_type(request.args.get("type"))
    form = type_of(question_type).form()
    if not form.is_submitted():
        form.category.data = request.args.get("category", "")
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            services.add_question(db.session, found, form.to_data())
        except ManageError as error:
            problems = error.problems
        else:
            db.session.commit()
            flash(f"已添加一道{question_type.label}", "info")
            if request.form.get("again"):
                return redirect(
                    url_for(
                        "exam_banks.new_question",
                        bank_id=found.id,
                        type=question_type.value,
                        category=form.category.data or "",
                    )
                )
            return redirect(url_for("exam_banks.bank", bank_id=found.id))
    return _render_question_form(form, found, None, problems)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_question(question_id: int):
    """Correct a question; a corrected key regrades the attempts that were given it."""
    question = load_question(question_id, edit=True)
    data = question.content
    form = type_of(data.type).form()
    if not form.is_submitted():
        form.load(data)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            update = services.update_question(db.session, question, form.to_data())
        except ManageError as error:
            problems = error.problems
        else:
            db.session.commit()
            if not update.changed:
                flash("题目没有改动", "info")
            elif update.key_changed and update.regraded:
                flash(f"已更正答案，并重新评分 {update.regraded} 份已交答卷", "info")
            else:
                flash("已保存题目", "info")
            return redirect(url_for("exam_banks.bank", bank_id=question.bank_id))
    usage = len(services.attempts_using(db.session, question))
    return _render_question_form(form, question.bank, question, problems, usage)


@bp.post("/questions/<int:question_id>/retire")
@allow(*TEACHING_STAFF)
def retire_question(question_id: int):
    """Retire a question (retired=0 brings it back)."""
    question = load_question(question_id, edit=True)
    retired = request.form.get("retired", "1") != "0"
    services.set_retired(db.session, question, retired)
    db.session.commit()
    flash("已停用该题，今后组卷不再抽到" if retired else "已恢复该题", "info")
    return redirect(url_for("exam_banks.bank", bank_id=question.bank_id))


@bp.route("/banks/<int:bank_id>/import", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def import_questions(bank_id: int):
    """Import a file into a bank, all or nothing, with a row per problem when refused."""
    found = load_bank(bank_id, edit=True)
    form = ImportForm()
    refused = report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = services.import_questions(
                db.session, found, upload.read(UPLOAD_LIMIT), upload.filename or ""
            )
        except services.ImportRefused as error:
            db.session.rollback()
            refused = error.rows
        else:
            db.session.commit()
            # The whole report on the page: every question skipped and why, every warning.
            form = ImportForm(formdata=None)
    return render_template(
        "exams/banks/import.html",
        bank=found,
        form=form,
        refused=refused,
        report=report,
        headers=TEMPLATE_HEADERS,
    )


@bp.get("/banks/<int:bank_id>/export")
@allow(*TEACHING_STAFF)
def export_bank(bank_id: int):
    """Download a bank's questions in use (?format=xlsx|gift|moodle)."""
    found = load_bank(bank_id)
    fmt = request.args.get("format", "xlsx")
    if fmt not in formats.EXPORT_FORMATS:
        abort(404)
    return download(*services.export_bank(db.session, found, fmt))


@bp.get("/template.xlsx")
@allow(*TEACHING_STAFF)
def import_template():
    """The empty XLSX template for importing questions."""
    return download(services.import_template(), XLSX_MIMETYPE, "题库导入模板.xlsx")
