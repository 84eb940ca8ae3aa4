"""The organizers' pages for candidates' records, and the activist's own record."""

from dataclasses import dataclass
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
from partyschool.accounts.views import safe_next
from partyschool.audit import AuditEvent
from partyschool.candidates import forms, imports, listing, services
from partyschool.candidates import publicity as publicity_lists
from partyschool.candidates.models import Candidate, DormRating, Veto, VolunteerLog, VolunteerStatus
from partyschool.candidates.rules import STAGE_LABELS, STEP_LABELS
from partyschool.extensions import db, today
from partyschool.organization.models import Room
from partyschool.spreadsheets import SpreadsheetError, read_table

bp = Blueprint("candidates", __name__, url_prefix="/candidates")


@dataclass(frozen=True)
class FactKind:
    """Something an organizer records on a record: its form, where it goes, the page title."""

    form: type
    collection: str
    title: str


FACT_KINDS = {
    "experience": FactKind(forms.ExperienceForm, "experiences", "记录“三个经历”"),
    "veto": FactKind(forms.VetoForm, "vetoes", "记录否决意见"),
    "volunteer": FactKind(forms.VolunteerForm, "volunteer_logs", "记录义工服务"),
    "publicity": FactKind(forms.PublicityForm, "publicity_notices", "记录公示"),
    "talk": FactKind(forms.TalkForm, "talks", "记录谈话"),
    "review": FactKind(forms.ReviewForm, "reviews", "记录政审或预审"),
    "contact": FactKind(forms.ContactForm, "contacts", "确定培养联系人或入党介绍人"),
    "opinion": FactKind(forms.OpinionForm, "opinions", "记录学院或任课教师意见"),
}


TABLE_LABELS = {
    "candidates": "档案信息",
    "stage_changes": "阶段",
    "experiences": "“三个经历”",
    "vetoes": "否决意见",
    "volunteer_logs": "义工服务",
    "training_records": "党校培训",
    "certificates": "结业证书",
    "publicity_notices": "公示",
    "talks": "谈话",
    "reviews": "政审/预审",
    "contacts": "培养联系人/入党介绍人",
    "opinions": "意见",
}


@bp.app_context_processor
def labels() -> dict:
    """Chinese names of stages and steps for every template."""
    return {"STAGE_LABELS": STAGE_LABELS, "STEP_LABELS": STEP_LABELS, "TABLE_LABELS": TABLE_LABELS}


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
    return render_template(
        "candidates/show.html",
        candidate=candidate,
        assessment=assessment,
        events=list(events),
        ratings=sorted(ratings, key=lambda r: r.term, reverse=True),
        fact_kinds=FACT_KINDS,
        promote_form=forms.PromoteForm(on=today()),
    )


@bp.route("/<int:candidate_id>/facts/<kind>", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def add_fact(candidate_id: int, kind: str):
    """Record one fact of a record, of any kind in FACT_KINDS."""
    candidate = _candidate(candidate_id)
    if kind not in FACT_KINDS:
        abort(404)
    fact_kind = FACT_KINDS[kind]
    form = fact_kind.form()
    if form.validate_on_submit():
        model = Candidate.__mapper__.relationships[fact_kind.collection].mapper.class_
        fact = model(recorded_by_id=current_user.id)
        form.populate_obj(fact)
        if isinstance(fact, VolunteerLog):  # an organizer's own record needs no review
            fact.status, fact.reviewed_by_id = VolunteerStatus.APPROVED, current_user.id
        getattr(candidate, fact_kind.collection).append(fact)
        _refresh(candidate)
        db.session.commit()
        flash(f"已保存：{fact_kind.title}", "info")
        return _back(candidate)
    return render_template(
        "candidates/fact_form.html", form=form, title=fact_kind.title, candidate=candidate
    )


@bp.route("/<int:candidate_id>/standing", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def standing(candidate_id: int):
    """Edit League recommendation, academic standing and the outstanding-class flag."""
    candidate = _candidate(candidate_id)
    form = forms.StandingForm(obj=candidate)
    if form.validate_on_submit():
        form.populate_obj(candidate)
        _refresh(candidate)
        db.session.commit()
        flash("已保存推优与学业情况", "info")
        return _back(candidate)
    return render_template(
        "candidates/fact_form.html", form=form, title="推优与学业情况", candidate=candidate
    )


@bp.route("/<int:candidate_id>/vetoes/<int:veto_id>/lift", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def lift_veto(candidate_id: int, veto_id: int):
    """Lift a veto, with the date and the reason."""
    candidate = _candidate(candidate_id)
    veto = db.session.get(Veto, veto_id)
    if veto is None or veto.candidate_id != candidate.id or veto.lifted_on is not None:
        abort(404)
    form = forms.LiftVetoForm()
    if form.validate_on_submit():
        form.populate_obj(veto)
        _refresh(candidate)
        db.session.commit()
        flash("已撤销否决意见", "info")
        return _back(candidate)
    return render_template(
        "candidates/fact_form.html", form=form, title="撤销否决意见", candidate=candidate
    )


@bp.route("/<int:candidate_id>/volunteer/<int:log_id>/review", methods=["POST"])
@allow(*ORGANIZERS)
def review_volunteer(candidate_id: int, log_id: int):
    """Approve or reject volunteer hours the candidate logged."""
    candidate = _candidate(candidate_id)
    log = db.session.get(VolunteerLog, log_id)
    if log is None or log.candidate_id != candidate.id:
        abort(404)
    form = forms.ReviewVolunteerForm()
    if form.validate_on_submit():
        log.status = VolunteerStatus(form.decision.data)
        log.reviewed_by_id, log.review_note = current_user.id, form.review_note.data or ""
        _refresh(candidate)
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
            db.session, candidate, current_user, form.on.data, today(), form.override_reason.data
        )
    except services.EligibilityError as refusal:
        flash(f"规则不允许变更阶段：{refusal}", "error")
    except services.RecordError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"已变更为{STAGE_LABELS[change.stage]}", "info")
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
        rating = db.session.scalar(
            select(DormRating).where(
                DormRating.room_id == room.id, DormRating.term == form.term.data
            )
        ) or DormRating(room=room)
        form.populate_obj(rating)
        db.session.add(rating)
        members = services.load(db.session, select(Candidate).where(Candidate.room_id == room.id))
        _refresh(*members)
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


IMPORTERS = {"roster": imports.import_roster, "dorm": imports.import_dorm_ratings}


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ORGANIZER, Role.BRANCH_ADMIN)
def import_page():
    """Import a roster of students or a sheet of dormitory ratings (XLSX or CSV)."""
    form = forms.ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            table = read_table(upload.read(), upload.filename or "")
        except SpreadsheetError as error:
            form.file.errors.append(str(error))
        else:
            run = (
                imports.import_roster if form.kind.data == "roster" else imports.import_dorm_ratings
            )
            result = run(
                db.session,
                table,
                school=current_user.party_school,
                actor_id=current_user.id,
                today=today(),
            )
            if result.ok:
                affected = select(Candidate).where(Candidate.id.in_(result.candidate_ids))
                services.refresh_where(db.session, affected, today())
                db.session.commit()
                flash(f"导入成功：新增 {result.created} 条，更新 {result.updated} 条", "info")
                return redirect(url_for("candidates.index"))
            db.session.rollback()
    return render_template("candidates/import.html", form=form, result=result)


own = Blueprint("record", __name__, url_prefix="/my")


def _own_candidate() -> Candidate | None:
    return db.session.scalar(select(Candidate).where(Candidate.user_id == current_user.id))


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
    if form.served_on.data > today():
        form.served_on.errors.append("服务日期不能晚于今天")
        return my_record(form)
    log = VolunteerLog(recorded_by_id=current_user.id)
    form.populate_obj(log)
    candidate.volunteer_logs.append(log)
    db.session.commit()
    flash("已提交，等待组织员审核", "info")
    return redirect(url_for("record.my_record"))
