"""Staff pages of the online exams: banks and questions, papers, the exams of a class, the
essay grading queue, results and statistics, and a class's scores sheet."""

import io
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from courses.models import TrainingClass
from exams import grades, manage
from exams.formats.common import MAX_TEXT_BYTES
from exams.formats.xlsx import TEMPLATE_HEADERS
from exams.manage_forms import (
    BankForm,
    ExamForm,
    GradeForm,
    ImportForm,
    PaperForm,
    RuleForm,
    parse_points,
    parse_scores,
)
from exams.models import Answer, Attempt, Exam, Paper, PaperMode, Question, QuestionBank
from exams.question_types import key_text, response_text, type_of
from exams.questions import QuestionType, option_letter
from partyschool.access import allow, can_see_school, get_scoped, scope_to_user
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import BEIJING, db
from partyschool.spreadsheets import MAX_UPLOAD_BYTES
from partyschool.web.views import add_nav

bp = Blueprint("exam_admin", __name__, url_prefix="/exam-admin")

UPLOAD_LIMIT = max(MAX_TEXT_BYTES, MAX_UPLOAD_BYTES) + 1

add_nav("考试管理", "exam_admin.index", *TEACHING_STAFF)


@bp.context_processor
def helpers() -> dict:
    """Names every exam-management template uses."""
    return {
        "QuestionType": QuestionType,
        "key_text": key_text,
        "response_text": response_text,
        "paper_total": manage.paper_total,
        "paper_question_count": manage.paper_question_count,
        "question_data": manage.question_data,
        "option_letter": option_letter,
        "EXPORT_FORMATS": manage.EXPORT_FORMATS,
    }


# --- loading records within the user's scope ---------------------------------------------------


def _bank(bank_id: int, *, edit: bool = False) -> QuestionBank:
    """The bank; 404 when the user may not see it, 403 when they may see but not edit it."""
    return get_scoped(QuestionBank, bank_id, shared=True, editable=edit)


def _question(question_id: int, *, edit: bool = False) -> Question:
    question = get_scoped(Question, question_id, lambda q: q.bank.party_school, shared=True)
    _bank(question.bank_id, edit=edit)
    return question


def _paper(paper_id: int, *, edit: bool = False) -> Paper:
    school = lambda paper: manage.paper_school(db.session, paper)  # noqa: E731
    return get_scoped(Paper, paper_id, school, shared=True, editable=edit)


def _class(class_id: int) -> TrainingClass:
    return get_scoped(TrainingClass, class_id)


def _exam(exam_id: int) -> Exam:
    return get_scoped(Exam, exam_id, lambda exam: exam.training_class.party_school)


def _attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    _exam(attempt.exam_id)
    return attempt


def _answer(answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        abort(404)
    _attempt(answer.attempt_id)
    return answer


def _download(content: bytes, mimetype: str, name: str):
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


# --- overview and banks ----------------------------------------------------------------------


@bp.get("/")
@allow(*TEACHING_STAFF)
def index():
    """Question banks, papers, and the classes whose exams the user manages."""
    classes = db.session.scalars(
        scope_to_user(
            select(TrainingClass).order_by(TrainingClass.starts_on.desc(), TrainingClass.id),
            TrainingClass.party_school_id,
        )
    ).all()
    return render_template(
        "exams/manage/index.html",
        banks=manage.visible_banks(db.session, current_user),
        papers=manage.visible_papers(db.session, current_user),
        classes=classes,
        exam_counts=manage.exam_counts(db.session, classes),
        bank_form=BankForm(),
        can_edit=lambda school: can_see_school(current_user, school.id),
    )


@bp.route("/banks/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_bank():
    """Create a question bank of the user's party school."""
    form = BankForm()
    if form.validate_on_submit():
        bank = manage.create_bank(db.session, current_user.party_school, form.name.data)
        db.session.commit()
        flash(f"已创建题库“{bank.name}”", "info")
        return redirect(url_for("exam_admin.bank", bank_id=bank.id))
    return render_template("exams/manage/bank_form.html", form=form)


@bp.get("/banks/<int:bank_id>")
@allow(*TEACHING_STAFF)
def bank(bank_id: int):
    """A bank's questions by category, filtered by category, type, text and retirement."""
    found = _bank(bank_id)
    kind = request.args.get("kind") or None
    if kind not in {None, *QuestionType}:
        kind = None
    category = request.args.get("category")
    questions = manage.bank_questions(
        db.session,
        found,
        category=category if category not in (None, "*") else None,
        kind=kind,
        text=request.args.get("q", ""),
        include_retired=request.args.get("retired") == "1",
    )
    return render_template(
        "exams/manage/bank.html",
        bank=found,
        questions=questions,
        categories=manage.bank_categories(db.session, found),
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
        "exams/manage/question_form.html",
        form=form,
        bank=bank,
        question=question,
        problems=problems,
        usage=usage,
        categories=[c for c, _ in manage.bank_categories(db.session, bank)],
    )


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_question(bank_id: int):
    """Add a question of one type (?type=single|multiple|true_false|fill|essay) to a bank."""
    found = _bank(bank_id, edit=True)
    question_type = _question_type(request.args.get("type"))
    form = type_of(question_type).form()
    if not form.is_submitted():
        form.category.data = request.args.get("category", "")
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            manage.add_question(db.session, found, form.to_data())
        except manage.ManageError as error:
            problems = error.problems
        else:
            db.session.commit()
            flash(f"已添加一道{question_type.label}", "info")
            if request.form.get("again"):
                return redirect(
                    url_for(
                        "exam_admin.new_question",
                        bank_id=found.id,
                        type=question_type.value,
                        category=form.category.data or "",
                    )
                )
            return redirect(url_for("exam_admin.bank", bank_id=found.id))
    return _render_question_form(form, found, None, problems)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_question(question_id: int):
    """Correct a question; a corrected key regrades the attempts that were given it."""
    question = _question(question_id, edit=True)
    data = manage.question_data(question)
    form = type_of(data.type).form()
    if not form.is_submitted():
        form.load(data)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            update = manage.update_question(db.session, question, form.to_data())
        except manage.ManageError as error:
            problems = error.problems
        else:
            db.session.commit()
            if not update.changed:
                flash("题目没有改动", "info")
            elif update.key_changed and update.regraded:
                flash(f"已更正答案，并重新评分 {update.regraded} 份已交答卷", "info")
            else:
                flash("已保存题目", "info")
            return redirect(url_for("exam_admin.bank", bank_id=question.bank_id))
    usage = len(manage.attempts_using(db.session, question))
    return _render_question_form(form, question.bank, question, problems, usage)


@bp.post("/questions/<int:question_id>/retire")
@allow(*TEACHING_STAFF)
def retire_question(question_id: int):
    """Retire a question (retired=0 brings it back)."""
    question = _question(question_id, edit=True)
    retired = request.form.get("retired", "1") != "0"
    manage.set_retired(db.session, question, retired)
    db.session.commit()
    flash("已停用该题，今后组卷不再抽到" if retired else "已恢复该题", "info")
    return redirect(url_for("exam_admin.bank", bank_id=question.bank_id))


@bp.route("/banks/<int:bank_id>/import", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def import_questions(bank_id: int):
    """Import a file into a bank, all or nothing, with a row per problem when refused."""
    found = _bank(bank_id, edit=True)
    form = ImportForm()
    refused = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = manage.import_questions(
                db.session, found, upload.read(UPLOAD_LIMIT), upload.filename or ""
            )
        except manage.ImportRefused as error:
            db.session.rollback()
            refused = error.rows
        else:
            db.session.commit()
            flash(f"已导入 {len(report.questions)} 道题", "info")
            for warning in report.warnings[:20]:
                flash(f"提示：{warning.message}", "info")
            return redirect(url_for("exam_admin.bank", bank_id=found.id))
    return render_template(
        "exams/manage/import.html",
        bank=found,
        form=form,
        refused=refused,
        headers=TEMPLATE_HEADERS,
    )


@bp.get("/banks/<int:bank_id>/export")
@allow(*TEACHING_STAFF)
def export_bank(bank_id: int):
    """Download a bank's questions in use (?format=xlsx|gift|moodle)."""
    found = _bank(bank_id)
    fmt = request.args.get("format", "xlsx")
    if fmt not in manage.EXPORT_FORMATS:
        abort(404)
    return _download(*manage.export_bank(db.session, found, fmt))


@bp.get("/template.xlsx")
@allow(*TEACHING_STAFF)
def import_template():
    """The empty XLSX template for importing questions."""
    return _download(manage.import_template(), manage.XLSX, "题库导入模板.xlsx")


# --- papers ----------------------------------------------------------------------------------


@bp.route("/papers/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_paper():
    """Create an empty paper of the user's party school."""
    form = PaperForm()
    if form.validate_on_submit():
        paper = manage.new_paper(
            db.session,
            current_user.party_school,
            title=form.title.data.strip(),
            mode=form.mode.data,
            shuffle_questions=form.shuffle_questions.data,
            shuffle_options=form.shuffle_options.data,
        )
        db.session.commit()
        flash(
            "已创建试卷，请添加题目"
            if paper.mode is PaperMode.FIXED
            else "已创建试卷，请添加抽题规则",
            "info",
        )
        return redirect(url_for("exam_admin.paper", paper_id=paper.id))
    return render_template("exams/manage/paper_form.html", form=form, paper=None)


@bp.route("/papers/<int:paper_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_paper(paper_id: int):
    """Change a paper's title, composition mode (while empty) and shuffle flags."""
    paper = _paper(paper_id, edit=True)
    form = PaperForm(obj=paper)
    if form.validate_on_submit():
        try:
            manage.update_paper(
                db.session,
                paper,
                title=form.title.data.strip(),
                mode=form.mode.data,
                shuffle_questions=form.shuffle_questions.data,
                shuffle_options=form.shuffle_options.data,
            )
        except manage.ManageError as error:
            form.mode.errors = [*form.mode.errors, str(error)]
        else:
            db.session.commit()
            flash("已保存试卷", "info")
            return redirect(url_for("exam_admin.paper", paper_id=paper.id))
    return render_template("exams/manage/paper_form.html", form=form, paper=paper)


def _rule_form(paper: Paper) -> RuleForm:
    form = RuleForm()
    banks = manage.usable_banks(db.session, paper.party_school_id)
    form.bank_id.choices = [SelectChoice(b.id, f"{b.name}（{b.party_school.name}）") for b in banks]
    return form


@bp.get("/papers/<int:paper_id>")
@allow(*TEACHING_STAFF)
def paper(paper_id: int):
    """A paper: its questions or drawing rules, total points, and what would stop an exam."""
    found = _paper(paper_id)
    school = manage.paper_school(db.session, found)
    return render_template(
        "exams/manage/paper.html",
        paper=found,
        school=school,
        items=manage.fixed_items(db.session, found) if found.mode is PaperMode.FIXED else [],
        rules=manage.check_rules(db.session, found) if found.mode is PaperMode.DRAWN else [],
        rule_form=_rule_form(found),
        problems=manage.paper_problems(db.session, found),
        in_use=manage.paper_in_use(db.session, found),
        can_edit=can_see_school(current_user, school.id),
    )


@bp.post("/papers/<int:paper_id>/items")
@allow(*TEACHING_STAFF)
def update_paper_items(paper_id: int):
    """Change the points of a paper's items (points-N) and remove some (remove-N)."""
    found = _paper(paper_id, edit=True)
    remove = set(parse_points(request.form, "remove-"))
    try:
        manage.update_items(db.session, found, parse_points(request.form, "points-"), remove)
    except manage.ManageError as error:
        db.session.rollback()
        flash("；".join(error.problems), "error")
    else:
        db.session.commit()
        flash("已保存试卷题目", "info")
    return redirect(url_for("exam_admin.paper", paper_id=found.id))


@bp.route("/papers/<int:paper_id>/pick", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def pick_questions(paper_id: int):
    """Pick questions of a bank (?bank_id=, ?category=) for a fixed paper, with points."""
    found = _paper(paper_id, edit=True)
    if found.mode is not PaperMode.FIXED:
        flash("按规则抽题的试卷请添加抽题规则", "error")
        return redirect(url_for("exam_admin.paper", paper_id=found.id))
    if request.method == "POST":
        ids = [int(v) for v in request.form.getlist("question_ids") if v.isdigit()]
        points = parse_points(request.form, "points-")
        try:
            added = manage.add_fixed_questions(
                db.session, found, [(qid, points.get(qid, "")) for qid in ids]
            )
        except manage.ManageError as error:
            db.session.rollback()
            flash("；".join(error.problems), "error")
        else:
            db.session.commit()
            flash(f"已添加 {added} 道题", "info")
            return redirect(url_for("exam_admin.paper", paper_id=found.id))
    banks = manage.usable_banks(db.session, found.party_school_id)
    chosen = next((b for b in banks if str(b.id) == request.args.get("bank_id")), None)
    chosen = chosen or (banks[0] if banks else None)
    category = request.args.get("category")
    questions = (
        manage.bank_questions(
            db.session, chosen, category=category if category not in (None, "*") else None
        )
        if chosen
        else []
    )
    return render_template(
        "exams/manage/pick.html",
        paper=found,
        banks=banks,
        bank=chosen,
        category=category if category is not None else "*",
        categories=manage.bank_categories(db.session, chosen) if chosen else [],
        questions=questions,
        present={i["question_id"] for i in found.items},
    )


@bp.post("/papers/<int:paper_id>/rules")
@allow(*TEACHING_STAFF)
def add_rule(paper_id: int):
    """Add a drawing rule to a drawn paper; refused when the bank has too few questions."""
    found = _paper(paper_id, edit=True)
    form = _rule_form(found)
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("exam_admin.paper", paper_id=found.id))
    try:
        manage.add_rule(
            db.session,
            found,
            bank=db.session.get(QuestionBank, form.bank_id.data),
            kind=form.kind.data,
            category=form.category.data or "",
            count=form.count.data,
            points=form.points.data,
        )
    except manage.ManageError as error:
        db.session.rollback()
        flash("；".join(error.problems), "error")
    else:
        db.session.commit()
        flash("已添加抽题规则", "info")
    return redirect(url_for("exam_admin.paper", paper_id=found.id))


@bp.post("/papers/<int:paper_id>/copy")
@allow(*TEACHING_STAFF)
def copy_paper(paper_id: int):
    """Copy a paper into the user's party school, to change it freely."""
    found = _paper(paper_id)
    copy = manage.copy_paper(db.session, found, current_user)
    db.session.commit()
    flash("已复制试卷", "info")
    return redirect(url_for("exam_admin.paper", paper_id=copy.id))


# --- exams of a class ------------------------------------------------------------------------


@bp.get("/classes/<int:class_id>/exams")
@allow(*TEACHING_STAFF)
def class_exams(class_id: int):
    """The exams of a training class, with links to grading and results."""
    training_class = _class(class_id)
    exams = manage.class_exams(db.session, training_class)
    pending = manage.pending_counts(db.session, exams)
    return render_template(
        "exams/manage/class_exams.html",
        training_class=training_class,
        exams=exams,
        pending=pending,
    )


def _exam_form(training_class: TrainingClass, exam: Exam | None) -> ExamForm:
    form = ExamForm(obj=exam)
    rows = manage.usable_papers(db.session, training_class.party_school_id)
    form.paper_id.choices = [
        SelectChoice(
            r.paper.id, f"{r.paper.title}（{r.school.name}，满分 {manage.paper_total(r.paper)}）"
        )
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
        values = manage.ExamValues(
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
        )
        try:
            saved, regraded = manage.save_exam(db.session, training_class, exam, values)
        except manage.ManageError as error:
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
            return redirect(url_for("exam_admin.class_exams", class_id=saved.class_id))
    return render_template(
        "exams/manage/exam_form.html",
        form=form,
        training_class=training_class,
        exam=exam,
        problems=problems,
    )


@bp.route("/classes/<int:class_id>/exams/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_exam(class_id: int):
    """Set an exam (formal or makeup) for a class of the user's party school."""
    return _save_exam(_class(class_id), None)


@bp.route("/exams/<int:exam_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_exam(exam_id: int):
    """Change an exam's window, limits, pass mark and review policy."""
    exam = _exam(exam_id)
    return _save_exam(exam.training_class, exam)


# --- grading essays --------------------------------------------------------------------------


@bp.get("/exams/<int:exam_id>/grading")
@allow(*TEACHING_STAFF)
def grading(exam_id: int):
    """The essay grading queue of an exam: answers waiting first, then those graded."""
    exam = _exam(exam_id)
    pending, graded = manage.grading_queue(db.session, exam)
    return render_template("exams/manage/grading.html", exam=exam, pending=pending, graded=graded)


@bp.route("/answers/<int:answer_id>/grade", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def grade_answer(answer_id: int):
    """Grade one essay answer (0..points, with a comment); the attempt's total follows."""
    answer = _answer(answer_id)
    attempt = db.session.get(Attempt, answer.attempt_id)
    item = manage.grading_item(answer, attempt)
    form = GradeForm()
    if not form.is_submitted() and answer.graded_by_id is not None:
        form.score.data, form.comment.data = answer.score, answer.grader_comment
    if form.validate_on_submit():
        try:
            manage.grade_answer(
                db.session, answer, form.score.data, form.comment.data or "", current_user
            )
        except manage.ManageError as error:
            db.session.rollback()
            form.score.errors = [*form.score.errors, str(error)]
        else:
            db.session.commit()
            flash(f"已评分：{item.candidate.name} 第 {item.number} 题", "info")
            pending, _ = manage.grading_queue(db.session, attempt.exam)
            if pending:
                return redirect(url_for("exam_admin.grade_answer", answer_id=pending[0].answer.id))
            return redirect(url_for("exam_admin.grading", exam_id=attempt.exam_id))
    return render_template("exams/manage/grade.html", item=item, form=form, exam=attempt.exam)


# --- results ---------------------------------------------------------------------------------


@bp.get("/exams/<int:exam_id>/results")
@allow(*TEACHING_STAFF)
def results(exam_id: int):
    """Each trainee's best score, the distribution, and item difficulty and discrimination."""
    exam = _exam(exam_id)
    return render_template(
        "exams/manage/results.html", exam=exam, results=manage.exam_results(db.session, exam)
    )


@bp.get("/exams/<int:exam_id>/results.xlsx")
@allow(*TEACHING_STAFF)
def results_xlsx(exam_id: int):
    """The trainees' results as an .xlsx download."""
    exam = _exam(exam_id)
    content = manage.results_xlsx(manage.exam_results(db.session, exam))
    return _download(content, manage.XLSX, f"{exam.title}成绩.xlsx")


@bp.get("/exams/<int:exam_id>/items.xlsx")
@allow(*TEACHING_STAFF)
def items_xlsx(exam_id: int):
    """The item statistics as an .xlsx download."""
    exam = _exam(exam_id)
    content = manage.items_xlsx(manage.exam_results(db.session, exam))
    return _download(content, manage.XLSX, f"{exam.title}试题分析.xlsx")


@bp.get("/attempts/<int:attempt_id>")
@allow(*TEACHING_STAFF)
def attempt(attempt_id: int):
    """One attempt question by question: the key, the response, the score."""
    found = _attempt(attempt_id)
    return render_template(
        "exams/manage/attempt.html",
        attempt=found,
        exam=found.exam,
        items=manage.attempt_review(found),
    )


# --- the class's scores sheet ----------------------------------------------------------------


@bp.route("/classes/<int:class_id>/scores", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def class_scores(class_id: int):
    """Enter usual and practice scores (0-100) and see every trainee's class grade."""
    training_class = _class(class_id)
    enrolments = grades.admitted(db.session, training_class)
    problems: list[str] = []
    if request.method == "POST":
        scores, problems = parse_scores(request.form, [e.id for e in enrolments])
        if not problems:
            try:
                changed = grades.record_scores(db.session, training_class, scores)
            except grades.GradeError as error:
                db.session.rollback()
                problems = [str(error)]
            else:
                db.session.commit()
                flash(f"已保存 {changed} 名学员的成绩", "info")
                return redirect(url_for("exam_admin.class_scores", class_id=class_id))
    return render_template(
        "exams/manage/scores.html",
        training_class=training_class,
        enrolments=enrolments,
        grades=grades.class_grades(db.session, training_class),
        problems=problems,
        entered=request.form if problems else {},
    )
