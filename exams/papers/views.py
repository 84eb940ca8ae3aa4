"""Staff pages of exam papers: composing a fixed paper or its drawing rules, and copies."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from exams.banks.services import bank_categories, bank_questions, usable_banks
from exams.errors import ManageError
from exams.models import Paper, PaperMode, QuestionBank
from exams.papers import services
from exams.papers.forms import PaperForm, RuleForm, parse_points
from exams.staff import load_paper, template_helpers
from partyschool.access import allow, can_see_school
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import as_id, db

bp = Blueprint("exam_papers", __name__, url_prefix="/exam-admin")
bp.context_processor(template_helpers)


@bp.route("/papers/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_paper():
    """Create an empty paper of the user's party school."""
    form = PaperForm()
    if form.validate_on_submit():
        paper = services.new_paper(
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
        return redirect(url_for("exam_papers.paper", paper_id=paper.id))
    return render_template("exams/papers/paper_form.html", form=form, paper=None)


@bp.route("/papers/<int:paper_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_paper(paper_id: int):
    """Change a paper's title, composition mode (while empty) and shuffle flags."""
    paper = load_paper(paper_id, edit=True)
    form = PaperForm(obj=paper)
    if form.validate_on_submit():
        try:
            services.update_paper(
                db.session,
                paper,
                title=form.title.data.strip(),
                mode=form.mode.data,
                shuffle_questions=form.shuffle_questions.data,
                shuffle_options=form.shuffle_options.data,
            )
        except ManageError as error:
            form.mode.errors = [*form.mode.errors, str(error)]
        else:
            db.session.commit()
            flash("已保存试卷", "info")
            return redirect(url_for("exam_papers.paper", paper_id=paper.id))
    return render_template("exams/papers/paper_form.html", form=form, paper=paper)


def _rule_form(paper: Paper) -> RuleForm:
    form = RuleForm()
    banks = usable_banks(db.session, paper.party_school_id)
    form.bank_id.choices = [SelectChoice(b.id, f"{b.name}（{b.party_school.name}）") for b in banks]
    return form


@bp.get("/papers/<int:paper_id>")
@allow(*TEACHING_STAFF)
def paper(paper_id: int):
    """A paper: its questions or drawing rules, total points, and what would stop an exam."""
    found = load_paper(paper_id)
    school = found.party_school
    return render_template(
        "exams/papers/paper.html",
        paper=found,
        school=school,
        items=services.fixed_items(db.session, found) if found.mode is PaperMode.FIXED else [],
        rules=services.check_rules(db.session, found) if found.mode is PaperMode.DRAWN else [],
        rule_form=_rule_form(found),
        problems=services.paper_problems(db.session, found),
        in_use=services.paper_in_use(db.session, found),
        can_edit=can_see_school(current_user, school.id),
    )


@bp.post("/papers/<int:paper_id>/items")
@allow(*TEACHING_STAFF)
def update_paper_items(paper_id: int):
    """Change the points of a paper's items (points-N) and remove some (remove-N)."""
    found = load_paper(paper_id, edit=True)
    remove = set(parse_points(request.form, "remove-"))
    try:
        services.update_items(db.session, found, parse_points(request.form, "points-"), remove)
    except ManageError as error:
        _refused(error)
    else:
        db.session.commit()
        flash("已保存试卷题目", "info")
    return redirect(url_for("exam_papers.paper", paper_id=found.id))


@bp.route("/papers/<int:paper_id>/pick", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def pick_questions(paper_id: int):
    """Pick questions of a bank (?bank_id=, ?category=) for a fixed paper, with points."""
    found = load_paper(paper_id, edit=True)
    if found.mode is not PaperMode.FIXED:
        flash("按规则抽题的试卷请添加抽题规则", "error")
        return redirect(url_for("exam_papers.paper", paper_id=found.id))
    if request.method == "POST":
        ids = [i for i in map(as_id, request.form.getlist("question_ids")) if i]
        points = parse_points(request.form, "points-")
        try:
            added = services.add_fixed_questions(
                db.session, found, [(qid, points.get(qid, "")) for qid in ids]
            )
        except ManageError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(f"已添加 {added} 道题", "info")
            return redirect(url_for("exam_papers.paper", paper_id=found.id))
    banks = usable_banks(db.session, found.party_school_id)
    chosen = next((b for b in banks if str(b.id) == request.args.get("bank_id")), None)
    chosen = chosen or (banks[0] if banks else None)
    category = request.args.get("category")
    questions = (
        bank_questions(
            db.session, chosen, category=category if category not in (None, "*") else None
        )
        if chosen
        else []
    )
    return render_template(
        "exams/papers/pick.html",
        paper=found,
        banks=banks,
        bank=chosen,
        category=category if category is not None else "*",
        categories=bank_categories(db.session, chosen) if chosen else [],
        questions=questions,
        present={i["question_id"] for i in found.items},
    )


@bp.post("/papers/<int:paper_id>/rules")
@allow(*TEACHING_STAFF)
def add_rule(paper_id: int):
    """Add a drawing rule to a drawn paper; refused when the bank has too few questions."""
    found = load_paper(paper_id, edit=True)
    form = _rule_form(found)
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("exam_papers.paper", paper_id=found.id))
    try:
        services.add_rule(
            db.session,
            found,
            bank=db.session.get(QuestionBank, form.bank_id.data),
            kind=form.kind.data,
            category=form.category.data or "",
            count=form.count.data,
            points=form.points.data,
        )
    except ManageError as error:
        _refused(error)
    else:
        db.session.commit()
        flash("已添加抽题规则", "info")
    return redirect(url_for("exam_papers.paper", paper_id=found.id))


@bp.post("/papers/<int:paper_id>/copy")
@allow(*TEACHING_STAFF)
def copy_paper(paper_id: int):
    """Copy a paper into the user's party school, to change it freely."""
    found = load_paper(paper_id)
    copy = services.copy_paper(db.session, found, current_user)
    db.session.commit()
    flash("已复制试卷", "info")
    return redirect(url_for("exam_papers.paper", paper_id=copy.id))


def _refused(error: ManageError) -> None:
    db.session.rollback()
    flash("；".join(error.problems), "error")
