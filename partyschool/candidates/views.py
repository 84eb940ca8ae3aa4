"""The organizers' pages for candidates' records, and the activist's own record."""

import json
from collections.abc import Callable
from io import BytesIO

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

from partyschool.access import allow, get_scoped, require_school
from partyschool.accounts.models import ORGANIZERS, Role
from partyschool.audit import AuditEvent, describe
from partyschool.candidates import forms, identity, in_force, listing, rule_kinds, services
from partyschool.candidates import publicity as publicity_lists
from partyschool.candidates.archive import services as archive
from partyschool.candidates.committing import committed
from partyschool.candidates.imports import dorms, history, roster
from partyschool.candidates.models import Candidate, ProbationAction, VolunteerStatus
from partyschool.candidates.reports.services import contact_accounts
from partyschool.candidates.rules import STAGE_LABELS, STEP_LABELS, Stage
from partyschool.candidates.rulesets import RULESETS, RuleSet, RuleSetError, ruleset_from_dict
from partyschool.extensions import db, today
from partyschool.organization.models import Room
from partyschool.spreadsheets import SpreadsheetError, read_table
from partyschool.web.navigation import safe_next

bp = Blueprint("candidates", __name__, url_prefix="/candidates")


bp.add_app_template_filter(identity.mask, "mask_id")
bp.add_app_template_filter(identity.mask_phone, "mask_phone")
bp.add_app_template_filter(identity.birth_year, "birth_year")


@bp.app_context_processor
def labels() -> dict:
    """Chinese names of stages and steps for every template."""
    return {"STAGE_LABELS": STAGE_LABELS, "STEP_LABELS": STEP_LABELS}


def _candidate(candidate_id: int) -> Candidate:
    return get_scoped(Candidate, candidate_id)


def _back(candidate: Candidate):
    return redirect(url_for("candidates.show", candidate_id=candidate.id))


def _refresh(*candidates: Candidate) -> None:
    db.session.flush()
    services.refresh(db.session, candidates, today())


@bp.get("/")
@allow(*ORGANIZERS)
def index():
    """Candidates of the organizer's branch school, filtered, with who is blocked and why."""
    query = listing.CandidateQuery.from_args(request.args)
    listing.rejudge_stale(db.session, current_user, today())
    db.session.commit()
    page = listing.page(db.session, current_user, query, today())
    return render_template(
        "candidates/index.html",
        page=page,
        query=query,
        options=listing.filter_options(db.session, current_user),
    )


@bp.get("/export.xlsx")
@allow(*ORGANIZERS)
def export():
    """The filtered list as an XLSX file, safe to open in a spreadsheet program."""
    query = listing.CandidateQuery.from_args(request.args)
    listing.rejudge_stale(db.session, current_user, today())
    db.session.commit()
    data = listing.export_xlsx(db.session, current_user, query)
    return send_file(
        BytesIO(data),
        download_name=f"candidates-{today().isoformat()}.xlsx",
        as_attachment=True,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.get("/<int:candidate_id>")
@allow(*ORGANIZERS)
def show(candidate_id: int):
    """A candidate's record: identity, what the rules say, every fact, and the timeline."""
    candidate = _candidate(candidate_id)
    assessment = services.assess(db.session, [candidate], today())[0]
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.candidate_id == candidate.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    ratings = services.ratings_by_room(db.session, [candidate.room_id])[candidate.room_id]
    materials = archive.materials_of(db.session, [candidate.id])[candidate.id]
    return render_template(
        "candidates/show.html",
        stages=archive.checklist(candidate, materials),
        candidate=candidate,
        assessment=assessment,
        events=[describe(e) for e in events],
        ratings=sorted(ratings, key=lambda r: r.term, reverse=True),
        fact_kinds=services.FACT_KINDS,
        promote_form=forms.PromoteForm(on=today(), stage=candidate.stage.value),
        probation_form=forms.ProbationForm(decided_on=today()),
        sees_identity=identity.may_see_identity(current_user, candidate.party_school_id),
    )


def _fact_kind(kind: str, *, recorded_here: bool = False) -> services.FactKind:
    fact_kind = services.FACT_KINDS.get(kind)
    if fact_kind is None or (recorded_here and not fact_kind.is_recorded_here):
        abort(404)
    return fact_kind


def _fact(candidate: Candidate, kind: str, fact_id: int):
    _fact_kind(kind)
    fact = services.find_fact(candidate, kind, fact_id)
    if fact is None:
        abort(404)
    return fact


def _offering_accounts(form, candidate: Candidate):
    if isinstance(form, forms.ContactForm):
        form.offer_accounts(contact_accounts(db.session, candidate))
    return form


def _refused(error: services.RecordError) -> None:
    flash(str(error), "error")
    db.session.rollback()


def _submitted(form, change: Callable[[], object], done: str, candidate: Candidate):
    """On a valid submit, make the change through the record's door and commit, then go back
    to the record; a refusal is shown on the form, which keeps what was typed."""
    if form is None or not form.validate_on_submit() or not committed(change, done):
        return None
    return _back(candidate)


@bp.route("/<int:candidate_id>/facts/<kind>", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def add_fact(candidate_id: int, kind: str):
    """Record one fact of a record, of any kind in FACT_KINDS."""
    candidate = _candidate(candidate_id)
    fact_kind = _fact_kind(kind, recorded_here=True)
    form = _offering_accounts(forms.FACT_FORMS[kind](), candidate)
    record = lambda: services.record_fact(  # noqa: E731
        db.session, candidate, kind, forms.values_of(form), current_user, today()
    )
    if done := _submitted(form, record, f"已保存：{fact_kind.title}", candidate):
        return done
    return render_template(
        "candidates/fact_form.html", form=form, title=f"记录{fact_kind.title}", candidate=candidate
    )


@bp.route("/<int:candidate_id>/facts/<kind>/<int:fact_id>", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def correct_fact(candidate_id: int, kind: str, fact_id: int):
    """Correct a fact recorded by mistake, with the reason; or go on to withdraw it."""
    candidate = _candidate(candidate_id)
    fact = _fact(candidate, kind, fact_id)
    form = _offering_accounts(forms.correction_form(kind, fact), candidate)
    if form is None and request.method == "POST":
        abort(404)
    correct = lambda: services.correct_fact(  # noqa: E731
        db.session, candidate, kind, fact, forms.values_of(form), form.change_reason.data, today()
    )
    if done := _submitted(form, correct, f"已更正：{_fact_kind(kind).title}", candidate):
        return done
    return render_template(
        "candidates/fact_form.html",
        form=form,
        title=f"更正{_fact_kind(kind).title}",
        candidate=candidate,
        withdraw_form=forms.ReasonForm(),
        withdraw_url=url_for(
            "candidates.withdraw_fact", candidate_id=candidate.id, kind=kind, fact_id=fact_id
        ),
    )


@bp.post("/<int:candidate_id>/facts/<kind>/<int:fact_id>/withdraw")
@allow(*ORGANIZERS)
def withdraw_fact(candidate_id: int, kind: str, fact_id: int):
    """Withdraw a fact recorded by mistake, with the reason (the audit trail keeps it)."""
    candidate = _candidate(candidate_id)
    fact = _fact(candidate, kind, fact_id)
    form = forms.ReasonForm()
    if not form.validate_on_submit():
        flash("撤回须填写原因", "error")
        return redirect(
            url_for(".correct_fact", candidate_id=candidate.id, kind=kind, fact_id=fact_id)
        )
    try:
        services.withdraw_fact(db.session, candidate, kind, fact, form.change_reason.data, today())
    except services.RecordError as error:
        _refused(error)
    else:
        db.session.commit()
        flash(f"已撤回：{_fact_kind(kind).title}", "info")
    return _back(candidate)


@bp.route("/<int:candidate_id>/standing", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def standing(candidate_id: int):
    """Edit League recommendation, academic standing and the outstanding-class flag."""
    candidate = _candidate(candidate_id)
    form = forms.StandingForm(obj=candidate)
    update = lambda: services.update_standing(  # noqa: E731
        db.session, candidate, forms.values_of(form), today()
    )
    if done := _submitted(form, update, "已保存推优与学业情况", candidate):
        return done
    return render_template(
        "candidates/fact_form.html", form=form, title="推优与学业情况", candidate=candidate
    )


@bp.route("/<int:candidate_id>/identity", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def edit_identity(candidate_id: int):
    """Edit the identity a Party file needs (those who may see it in full only)."""
    candidate = _candidate(candidate_id)
    if not identity.may_see_identity(current_user, candidate.party_school_id):
        abort(403)
    form = forms.IdentityForm(obj=candidate)
    update = lambda: services.update_identity(  # noqa: E731
        db.session, candidate, forms.values_of(form), today()
    )
    if done := _submitted(form, update, "已保存身份信息", candidate):
        return done
    return render_template(
        "candidates/fact_form.html", form=form, title="身份信息", candidate=candidate
    )


@bp.route("/<int:candidate_id>/vetoes/<int:veto_id>/lift", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def lift_veto(candidate_id: int, veto_id: int):
    """Lift a veto, with the date and the reason."""
    candidate = _candidate(candidate_id)
    veto = _fact(candidate, "veto", veto_id)
    if veto.lifted_on is not None:
        abort(404)
    form = forms.LiftVetoForm()
    lift = lambda: services.lift_veto(  # noqa: E731
        db.session, candidate, veto, form.lifted_on.data, form.lift_reason.data, today()
    )
    if done := _submitted(form, lift, "已撤销否决意见", candidate):
        return done
    return render_template(
        "candidates/fact_form.html", form=form, title="撤销否决意见", candidate=candidate
    )


@bp.route("/<int:candidate_id>/volunteer/<int:log_id>/review", methods=["POST"])
@allow(*ORGANIZERS)
def review_volunteer(candidate_id: int, log_id: int):
    """Approve or reject volunteer hours the candidate logged."""
    candidate = _candidate(candidate_id)
    log = _fact(candidate, "volunteer", log_id)
    form = forms.ReviewVolunteerForm()
    if form.validate_on_submit():
        status = VolunteerStatus(form.decision.data)
        services.review_volunteer(
            db.session, candidate, log, status, form.review_note.data, current_user, today()
        )
        db.session.commit()
        flash("已审核义工时长", "info")
    return _back(candidate)


@bp.route("/<int:candidate_id>/promote", methods=["POST"])
@allow(*ORGANIZERS)
def promote(candidate_id: int):
    """Move the candidate to the next stage, if the rules allow (or an admin overrides)."""
    candidate = _candidate(candidate_id)
    form = forms.PromoteForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return _back(candidate)
    try:
        change = services.promote(
            db.session,
            candidate,
            current_user,
            form.on.data,
            today(),
            form.override_reason.data,
            expected_stage=Stage(form.stage.data) if form.stage.data in set(Stage) else None,
        )
    except services.EligibilityError as refusal:
        flash(f"规则不允许变更阶段：{refusal}", "error")
        db.session.rollback()
    except services.RecordError as error:
        _refused(error)
    else:
        db.session.commit()
        flash(f"已变更为{STAGE_LABELS[change.stage]}", "info")
    return _back(candidate)


@bp.post("/<int:candidate_id>/probation")
@allow(*ORGANIZERS)
def decide_probation(candidate_id: int):
    """延长预备期 or 取消预备党员资格, a stage decision with its reason."""
    candidate = _candidate(candidate_id)
    form = forms.ProbationForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return _back(candidate)
    action = ProbationAction(form.action.data)
    try:
        services.decide_probation(
            db.session,
            candidate,
            action,
            form.decided_on.data,
            form.reason.data,
            current_user,
            today(),
            months=form.months.data,
        )
    except services.RecordError as error:
        _refused(error)
    else:
        db.session.commit()
        flash(f"已记录：{action.label}", "info")
    return _back(candidate)


@bp.route("/rooms/<int:room_id>/ratings", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def rate_room(room_id: int):
    """Rate a dormitory room for a term, or record that a 脏乱差 room was rectified."""
    room = db.session.get(Room, room_id)
    if room is None:
        abort(404)
    require_school(room.building.party_school_id)
    form = forms.DormRatingForm()
    if form.validate_on_submit():
        try:
            services.rate_room(
                db.session,
                room,
                form.term.data,
                form.grade.data,
                form.rectified_on.data,
                form.note.data,
                today(),
            )
        except services.RecordError as error:
            _refused(error)
            return render_template(
                "candidates/fact_form.html", form=form, title=f"{room} 寝室文明评定"
            )
        db.session.commit()
        flash(f"已保存 {room} 的寝室文明评定", "info")
        return redirect(safe_next(request.args.get("back")))
    return render_template("candidates/fact_form.html", form=form, title=f"{room} 寝室文明评定")


@bp.get("/publicity")
@allow(*ORGANIZERS)
def publicity():
    """The 公示 list for each place, printable, for a step and a date."""
    notice = publicity_lists.PublicityQuery.from_args(request.args, today())
    lists = publicity_lists.lists(db.session, current_user, notice)
    return render_template("candidates/publicity.html", notice=notice, lists=lists)


@bp.get("/publicity.pdf")
@allow(*ORGANIZERS)
def publicity_pdf():
    """The same 公示 lists as a PDF, one place a page."""
    notice = publicity_lists.PublicityQuery.from_args(request.args, today())
    lists = publicity_lists.lists(db.session, current_user, notice)
    pdf = publicity_lists.render_pdf(notice, lists)
    return send_file(
        BytesIO(pdf), mimetype="application/pdf", download_name=f"publicity-{notice.on}.pdf"
    )


def _run_import(form, template: str, run, done: str):
    """Read the uploaded sheet, run the importer on it, and commit all of it or none; the
    importer takes (session, table, filename) and `done` formats the result's message."""
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            table = read_table(upload.read(), upload.filename or "")
        except SpreadsheetError as error:
            form.file.errors.append(str(error))
        else:
            filename = upload.filename or "上传的文件"
            result = run(db.session, table, filename)
            if result.ok:
                affected = select(Candidate).where(Candidate.id.in_(result.candidate_ids))
                services.refresh_where(db.session, affected, today())
                db.session.commit()
                flash(done.format(result=result, filename=filename), "info")
                return redirect(url_for("candidates.index"))
            db.session.rollback()
    return render_template(template, form=form, result=result)


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ORGANIZER, Role.BRANCH_ADMIN)
def import_page():
    """Import a roster of students or a sheet of dormitory ratings (XLSX or CSV)."""
    form = forms.ImportForm()
    importer = roster.import_roster if form.kind.data == "roster" else dorms.import_dorm_ratings

    def run(session, table, filename):
        school, actor_id = current_user.party_school, current_user.id
        return importer(session, table, school=school, actor_id=actor_id, today=today())

    done = "导入成功：新增 {result.created} 条，更新 {result.updated} 条"
    return _run_import(form, "candidates/import.html", run, done)


@bp.route("/history", methods=["GET", "POST"])
@allow(Role.SCHOOL_ADMIN)
def import_history():
    """Migrate the stages students reached before the platform, marked as migrated."""

    def run(session, table, filename):
        return history.import_history(
            session, table, filename=filename, actor=current_user, today=today()
        )

    done = "已迁移 {result.updated} 名学生的历史阶段（来自 {filename}）"
    return _run_import(forms.HistoryImportForm(), "candidates/history.html", run, done)


@bp.get("/rules")
@allow(*ORGANIZERS)
def rules():
    """The rule set in force, rule by rule in Chinese, and every rule set put in force."""
    form = (
        forms.RuleSetForm(effective_from=today())
        if current_user.role is Role.SCHOOL_ADMIN
        else None
    )
    return render_template(
        "candidates/rules.html",
        ruleset=in_force.ruleset(today()),
        choices=in_force.ruleset_choices(db.session),
        requirement=rule_kinds.requirement,
        form=form,
        today=today(),
    )


@bp.post("/rules")
@allow(Role.SCHOOL_ADMIN)
def choose_rules():
    """Put a built-in rule set or the university's own in force from a date."""
    form = forms.RuleSetForm()
    if form.validate_on_submit():
        try:
            chosen = _chosen_ruleset(form)
            choice = services.choose_ruleset(
                db.session,
                chosen,
                form.effective_from.data,
                form.reason.data,
                current_user,
                today(),
            )
        except services.RecordError as error:
            _refused(error)
        except RuleSetError as error:
            _refused(services.RecordError(f"规则集无效，未启用：{error}"))
        else:
            db.session.commit()
            flash(f"{choice.ruleset} 自 {choice.effective_from} 起生效", "info")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("candidates.rules"))


def _chosen_ruleset(form) -> RuleSet:
    if form.builtin.data:
        return RULESETS[form.builtin.data]
    upload = form.file.data
    if not upload:
        raise services.RecordError("请选择内置规则集或上传本校规则集文件")
    try:
        data = json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise services.RecordError("规则集文件不是有效的 UTF-8 编码 JSON 文件") from None
    if not isinstance(data, dict):
        raise services.RecordError("规则集文件应是一个 JSON 对象")
    return ruleset_from_dict(data)


own = Blueprint("record", __name__, url_prefix="/my")


def _own_candidate() -> Candidate | None:
    return services.candidate_of(db.session, current_user)


@own.get("/record")
@allow(Role.ACTIVIST)
def my_record(form: forms.VolunteerForm | None = None):
    """The activist's own stage, what is still missing for the next step, and volunteer hours."""
    candidate = _own_candidate()
    context = {"candidate": candidate, "form": form or forms.VolunteerForm()}
    if candidate is not None:
        context["assessment"] = services.assess(db.session, [candidate], today())[0]
        context["approved_hours"] = sum(
            log.hours for log in candidate.volunteer_logs if log.status is VolunteerStatus.APPROVED
        )
        materials = archive.materials_of(db.session, [candidate.id])[candidate.id]
        context["materials"] = materials
        context["stages"] = archive.checklist(candidate, materials)
    return render_template("candidates/my_record.html", **context)


@own.post("/volunteer")
@allow(Role.ACTIVIST)
def log_volunteer():
    """Log volunteer service; it counts once an organizer approves it."""
    candidate = _own_candidate()
    if candidate is None:
        abort(404)
    form = forms.VolunteerForm()
    if not form.validate_on_submit():
        return my_record(form)
    try:
        services.record_fact(
            db.session, candidate, "volunteer", forms.values_of(form), current_user, today()
        )
    except services.RecordError as error:
        form.served_on.errors.append(str(error))
        db.session.rollback()
        return my_record(form)
    db.session.commit()
    flash("已提交，等待组织员审核", "info")
    return redirect(url_for("record.my_record"))
