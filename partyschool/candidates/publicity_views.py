"""Organizers' pages for 公示 batches: start one for several candidates, follow objections,
record the result, and print one notice per place."""

from datetime import timedelta
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
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from partyschool.access import allow, get_scoped, scope_to_user
from partyschool.accounts.models import ORGANIZERS
from partyschool.candidates import forms, services
from partyschool.candidates import publicity_batches as batches
from partyschool.candidates.committing import committed
from partyschool.candidates.models import (
    Candidate,
    ObjectionFinding,
    PublicityBatch,
    PublicityNotice,
    PublicityObjection,
)
from partyschool.candidates.rules import PublicityOutcome, Stage, Step
from partyschool.extensions import MAX_ID, db, today
from partyschool.organization.models import Building, Room
from partyschool.pdf import render_pdf
from partyschool.web.forms import Form

bp = Blueprint("publicity", __name__, url_prefix="/candidates/publicity")

# Who is publicized for each step: the stage they are at.
STAGE_OF_STEP = {Step.BECOME_PROBATIONARY: Stage.CANDIDATE, Step.CONFIRM: Stage.PROBATIONARY}
PICK_LIMIT = 300


def _batch(batch_id: int) -> PublicityBatch:
    return get_scoped(PublicityBatch, batch_id)


def _to_batch(batch: PublicityBatch):
    return redirect(url_for("publicity.show_batch", batch_id=batch.id))


@bp.get("/batches")
@allow(*ORGANIZERS)
def batch_list():
    """The 公示 batches of the organizer's branch school, latest first."""
    counts = (
        select(PublicityNotice.batch_id, func.count().label("people"))
        .group_by(PublicityNotice.batch_id)
        .subquery()
    )
    stmt = scope_to_user(
        select(PublicityBatch, counts.c.people)
        .outerjoin(counts, counts.c.batch_id == PublicityBatch.id)
        .order_by(PublicityBatch.starts_on.desc(), PublicityBatch.id.desc())
        .limit(200),
        PublicityBatch.party_school_id,
    )
    return render_template(
        "candidates/publicity_batches.html", rows=db.session.execute(stmt).all(), today=today()
    )


def _step_of(value: str | None) -> Step:
    return Step(value) if value in batches.PUBLICIZED_STEPS else Step.BECOME_PROBATIONARY


def _pickable(step: Step) -> list[Candidate]:
    """The candidates of the user's scope at the stage the step publicizes who still lack a
    notice for it (running or passed) at some place."""
    stmt = scope_to_user(
        select(Candidate)
        .where(Candidate.stage == STAGE_OF_STEP[step])
        .options(
            selectinload(Candidate.publicity_notices),
            joinedload(Candidate.college),
            joinedload(Candidate.district),
            joinedload(Candidate.room).joinedload(Room.building).joinedload(Building.district),
        )
        .order_by(Candidate.student_no)
        .limit(PICK_LIMIT),
        Candidate.party_school_id,
    )
    return [c for c in db.session.scalars(stmt) if batches.needs_publicity(c, step)]


def _chosen_ids() -> list[int]:
    values = request.form.getlist("candidate_ids")
    return sorted({int(v) for v in values if v.isdigit() and 0 < int(v) <= MAX_ID})


def _chosen(ids: list[int]) -> list[Candidate]:
    """The checked candidates, loaded for the rules; 404 for any outside the user's scope."""
    stmt = scope_to_user(select(Candidate).where(Candidate.id.in_(ids)), Candidate.party_school_id)
    chosen = services.load(db.session, stmt)
    if len(chosen) != len(ids):
        abort(404)
    return chosen


@bp.route("/batches/new", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def new_batch():
    """Start one 公示 for the checked candidates; all of them, or nobody with every reason."""
    step = _step_of(request.values.get("step"))
    form = forms.PublicityBatchForm(step=step.value)
    if request.method == "GET":
        form.starts_on.data, form.ends_on.data = today(), today() + timedelta(days=6)
    ids = _chosen_ids() if request.method == "POST" else []
    refusals: dict[int, list[str]] = {}
    if form.validate_on_submit():
        contact = batches.ObjectionContact(
            form.contact_person.data, form.contact_phone.data, form.contact_email.data
        )
        try:
            batch = batches.start_batch(
                db.session,
                _chosen(ids),
                step,
                form.starts_on.data,
                form.ends_on.data,
                contact,
                current_user,
                today(),
            )
        except batches.BatchRefused as refused:
            refusals = {c.id: reasons for c, reasons in refused.refusals.items()}
            flash(str(refused), "error")
            db.session.rollback()
        except services.RecordError as error:
            flash(str(error), "error")
            db.session.rollback()
        else:
            db.session.commit()
            flash(f"已发布公示，共{len(ids)}人", "info")
            return _to_batch(batch)
    rows = [(c, *batches.places_to_publicize(c, step)) for c in _pickable(step)]
    return render_template(
        "candidates/publicity_batch_new.html",
        form=form,
        step=step,
        rows=rows,
        chosen=set(ids),
        refusals=refusals,
        limit=PICK_LIMIT,
    )


def _show(batch: PublicityBatch, objection_form=None, status: int = 200):
    notices = list(
        db.session.scalars(
            select(PublicityNotice)
            .where(PublicityNotice.batch_id == batch.id)
            .options(selectinload(PublicityNotice.raised_objections))
        )
    )
    people = {
        c.id: c
        for c in db.session.scalars(
            select(Candidate)
            .where(Candidate.id.in_([n.candidate_id for n in notices]))
            .options(joinedload(Candidate.college))
        )
    }
    notices.sort(key=lambda n: people[n.candidate_id].student_no)
    objection_form = objection_form or forms.ObjectionForm(raised_on=today())
    objection_form.notice_id.choices = [(n.id, people[n.candidate_id].name) for n in notices]
    page = render_template(
        "candidates/publicity_batch.html",
        batch=batch,
        notices=notices,
        people=people,
        posted=batches.posted_notices(db.session, batch),
        objection_form=objection_form,
        finding_form=forms.ObjectionFindingForm(resolved_on=today()),
        conclude_form=Form(),
        is_pending=any(n.outcome is PublicityOutcome.PENDING for n in notices),
        FINDINGS={ObjectionFinding.SUBSTANTIATED: "查实", ObjectionFinding.UNFOUNDED: "不属实"},
    )
    return page, status


@bp.get("/batches/<int:batch_id>")
@allow(*ORGANIZERS)
def show_batch(batch_id: int):
    """One 公示 batch: its notices by place, its people, their objections and the result."""
    return _show(_batch(batch_id))


@bp.post("/batches/<int:batch_id>/objections")
@allow(*ORGANIZERS)
def raise_objection(batch_id: int):
    """Record an objection raised during the period; a refusal keeps what was typed."""
    batch = _batch(batch_id)
    form = forms.ObjectionForm()
    form.notice_id.choices = [(n.id, "") for n in batch.notices]
    if not form.validate_on_submit():
        return _show(batch, form, 400)
    notice = db.session.get(PublicityNotice, form.notice_id.data)
    raised = lambda: batches.raise_objection(  # noqa: E731
        db.session,
        notice,
        form.raised_by.data,
        form.raised_on.data,
        form.content.data,
        current_user,
        today(),
    )
    if not committed(raised, "已登记异议；处理前该人员不能进入下一步"):
        return _show(_batch(batch_id), form, 400)
    return _to_batch(batch)


def _objection_school(objection: PublicityObjection):
    return db.session.get(Candidate, objection.candidate_id).party_school


@bp.post("/objections/<int:objection_id>/resolve")
@allow(*ORGANIZERS)
def resolve_objection(objection_id: int):
    """Resolve an objection with its finding (查实 or 不属实) and a note."""
    objection = get_scoped(PublicityObjection, objection_id, _objection_school)
    notice = objection.notice
    form = forms.ObjectionFindingForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        resolved = lambda: batches.resolve_objection(  # noqa: E731
            db.session,
            objection,
            ObjectionFinding(form.finding.data),
            form.finding_note.data,
            form.resolved_on.data,
            current_user,
            today(),
        )
        committed(resolved, "已处理异议")
    if notice.batch_id is None:
        return redirect(url_for("candidates.show", candidate_id=notice.candidate_id))
    return redirect(url_for("publicity.show_batch", batch_id=notice.batch_id))


@bp.post("/batches/<int:batch_id>/conclude")
@allow(*ORGANIZERS)
def conclude_batch(batch_id: int):
    """After the period, record each notice's result."""
    batch = _batch(batch_id)
    if Form().validate_on_submit():
        committed(
            lambda: batches.conclude_batch(db.session, batch, today()),
            lambda counts: f"已确认公示结果：通过{counts['passed']}人，未通过{counts['failed']}人",
        )
    return _to_batch(batch)


@bp.get("/batches/<int:batch_id>/print")
@allow(*ORGANIZERS)
def print_batch(batch_id: int):
    """The notices to post, one per place, for the browser's print."""
    batch = _batch(batch_id)
    posted = batches.posted_notices(db.session, batch)
    back = url_for("publicity.show_batch", batch_id=batch.id)
    return render_template(
        "candidates/publicity_notices.html", posted=posted, for_print=True, back=back
    )


@bp.get("/batches/<int:batch_id>.pdf")
@allow(*ORGANIZERS)
def batch_pdf(batch_id: int):
    """The notices to post as a PDF, one place a page."""
    batch = _batch(batch_id)
    posted = batches.posted_notices(db.session, batch)
    pdf = render_pdf(render_template("candidates/publicity_notices.html", posted=posted))
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        download_name=f"publicity-{batch.id}-{batch.starts_on.isoformat()}.pdf",
    )
