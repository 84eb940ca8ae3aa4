"""Organizers' certificate pages: completion per class and branch school, issuing (one, or a
whole class with a progress bar), the ZIP of a class, a certificate's page with revoking and
re-issuing, recording a training completion by hand, the template; trainees' own.

Every change goes through partyschool.certificates.services."""

import io
import zipfile

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from courses.models import Enrolment, TrainingClass
from courses.services import visible_classes
from partyschool.access import allow, can_see_school, get_scoped, require_school
from partyschool.accounts.models import ADMINS, ORGANIZERS, Role
from partyschool.candidates.models import Candidate, TrainingRecord
from partyschool.candidates.rules import Stage
from partyschool.candidates.services import candidate_of
from partyschool.certificates import completion, services, trainings
from partyschool.certificates.forms import (
    ReissueForm,
    RevokeForm,
    TemplateForm,
    TrainingCompletionForm,
)
from partyschool.certificates.models import Certificate
from partyschool.extensions import db, today, utcnow
from partyschool.spreadsheets import write_xlsx
from partyschool.uploads import (
    ATTACHMENTS,
    UploadError,
    content_type_of,
    store_upload,
    upload_folder,
)
from partyschool.web.navigation import add_nav

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
BATCH_SIZE = 20

add_nav("结业与证书", "certificates.overview", *ORGANIZERS)
add_nav("我的证书", "certificates.mine", Role.ACTIVIST)


def _class(class_id: int) -> TrainingClass:
    return get_scoped(TrainingClass, class_id)


def _certificate(certificate_id: int) -> Certificate:
    return get_scoped(Certificate, certificate_id)


@bp.get("/")
@allow(*ORGANIZERS)
def overview():
    """Completion of every class in scope, compared by class and by branch school."""
    classes = [
        c
        for c in db.session.scalars(visible_classes(current_user)).unique()
        if current_user.has_school_scope or c.party_school_id == current_user.party_school_id
    ]
    rows = completion.summaries(db.session, classes, today())
    return render_template(
        "certificates/overview.html",
        rows=rows,
        class_bars=[(row.training_class.title, row.rate) for row in rows],
        school_bars=[(s.name, s.rate) for s in completion.by_school(rows)],
    )


@bp.get("/classes/<int:class_id>")
@allow(*ORGANIZERS)
def class_view(class_id: int):
    """Every trainee of a class: enrolled, hours, exam, report, certificate, or what blocks."""
    training_class = _class(class_id)
    standings = services.class_standings(db.session, training_class, today())
    return render_template(
        "certificates/class.html",
        training_class=training_class,
        standings=standings,
        revoke_form=RevokeForm(),
        may_issue=services.may_issue_for(current_user, training_class.party_school_id),
        may_revoke=current_user.role in ADMINS
        and can_see_school(current_user, training_class.party_school_id),
    )


@bp.get("/classes/<int:class_id>/completion.xlsx")
@allow(*ORGANIZERS)
def class_export(class_id: int):
    """The class's completion view as XLSX."""
    training_class = _class(class_id)
    standings = services.class_standings(db.session, training_class, today())
    data = write_xlsx(completion.HEADERS, completion.rows(standings), title="结业核验")
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=f"completion-{training_class.id}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.post("/enrolments/<int:enrolment_id>/issue")
@allow(*ORGANIZERS)
def issue_one(enrolment_id: int):
    """Issue one trainee's certificate, or say every reason it cannot be."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404)
    require_school(enrolment.training_class.party_school_id)
    found = services.standing(db.session, enrolment, today())
    try:
        certificate = services.issue(db.session, found, current_user, utcnow(), services.renderer())
    except services.CertificateError as error:
        db.session.rollback()
        flash(f"不能颁发证书：{error}", "error")
    else:
        db.session.commit()
        flash(f"已颁发证书 {certificate.serial}", "info")
    return redirect(url_for("certificates.class_view", class_id=enrolment.class_id))


@bp.post("/classes/<int:class_id>/issue-batch")
@allow(*ORGANIZERS)
def issue_batch(class_id: int):
    """Issue the next few certificates of a class; the page calls this until none remain,
    showing a progress bar (JSON: issued now, done, remaining, total)."""
    training_class = _class(class_id)
    try:
        result = services.issue_batch(
            db.session, training_class, current_user, utcnow(), services.renderer(), BATCH_SIZE
        )
    except services.CertificateError as error:
        db.session.rollback()
        return jsonify({"error": f"不能颁发证书：{error}"}), 409
    db.session.commit()
    return jsonify(result)


@bp.get("/classes/<int:class_id>/certificates.zip")
@allow(*ORGANIZERS)
def class_zip(class_id: int):
    """Every valid certificate PDF of a class in one ZIP."""
    training_class = _class(class_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in services.class_certificates(db.session, training_class):
            name = f"{certificate.serial}-{certificate.snapshot['student_no']}.pdf"
            archive.writestr(name, certificate.pdf)
    buffer.seek(0)
    return send_file(
        buffer,
        as_attachment=True,
        download_name=f"certificates-{training_class.id}.zip",
        mimetype="application/zip",
    )


@bp.get("/<int:certificate_id>/pdf")
@allow(*ORGANIZERS)
def pdf(certificate_id: int):
    """The certificate's PDF exactly as rendered when it was issued."""
    certificate = _certificate(certificate_id)
    return send_file(
        io.BytesIO(certificate.pdf),
        mimetype="application/pdf",
        download_name=f"{certificate.serial}.pdf",
    )


@bp.get("/<int:certificate_id>")
@allow(*ORGANIZERS)
def show(certificate_id: int):
    """A certificate: its status, what it was issued on, what it replaced or was replaced by;
    revoking and re-issuing for admins."""
    certificate = _certificate(certificate_id)
    successor = (
        db.session.get(Certificate, certificate.superseded_by_id)
        if certificate.superseded_by_id
        else None
    )
    return render_template(
        "certificates/show.html",
        certificate=certificate,
        successor=successor,
        predecessor=services.supersedes(db.session, certificate),
        may_change=services.may_revoke(current_user, certificate),
        revoke_form=RevokeForm(),
        reissue_form=ReissueForm(),
    )


@bp.post("/<int:certificate_id>/reissue")
@allow(*ADMINS)
def reissue(certificate_id: int):
    """Re-issue a certificate with a reason: a new one on the current record; the old one is
    marked superseded by it."""
    certificate = _certificate(certificate_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        flash("请填写重新颁发理由", "error")
        return redirect(url_for("certificates.show", certificate_id=certificate.id))
    try:
        new = services.reissue(
            db.session, certificate, current_user, form.reason.data, utcnow(), services.renderer()
        )
    except services.CertificateError as error:
        db.session.rollback()
        flash(f"不能重新颁发：{error}", "error")
        return redirect(url_for("certificates.show", certificate_id=certificate.id))
    db.session.commit()
    flash(f"已重新颁发证书 {new.serial}，原证书 {certificate.serial} 已被取代", "info")
    return redirect(url_for("certificates.show", certificate_id=new.id))


@bp.post("/<int:certificate_id>/revoke")
@allow(*ADMINS)
def revoke(certificate_id: int):
    """Revoke a certificate with a reason; the trail keeps who and why."""
    certificate = _certificate(certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(db.session, certificate, current_user, form.reason.data, utcnow())
        except services.CertificateError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已撤销证书 {certificate.serial}", "info")
    else:
        flash("请填写撤销理由", "error")
    return redirect(url_for("certificates.show", certificate_id=certificate.id))


@bp.route("/candidates/<int:candidate_id>/trainings/new", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def record_training(candidate_id: int):
    """Record a completed training on a candidate's record (记录党校培训结业): a certificate of
    this platform by its serial, or an external training with its evidence."""
    candidate = get_scoped(Candidate, candidate_id)
    form = TrainingCompletionForm()
    if form.validate_on_submit():
        stored = None
        try:
            if form.source.data == "platform":
                record = trainings.record_training(
                    db.session,
                    candidate,
                    current_user,
                    today(),
                    certificate_serial=form.certificate_serial.data,
                )
            else:
                upload = form.evidence_file.data
                stored = store_upload(upload, ATTACHMENTS).stored_name if upload else None
                record = trainings.record_training(
                    db.session,
                    candidate,
                    current_user,
                    today(),
                    external=trainings.ExternalTraining(
                        target_stage=Stage(form.target_stage.data),
                        class_name=form.class_name.data or "",
                        completed_on=form.completed_on.data,
                        issuing_body=form.issuing_body.data or "",
                        evidence=form.evidence.data or "",
                        evidence_file=stored,
                    ),
                )
        except (services.CertificateError, UploadError) as error:
            db.session.rollback()
            if stored:
                (upload_folder() / stored).unlink(missing_ok=True)
            flash(f"未保存：{error}", "error")
        else:
            db.session.commit()
            kind = "外部培训" if record.is_external else f"结业证书 {record.certificate_serial}"
            flash(f"已记录党校培训结业（{kind}）", "info")
            return redirect(url_for("candidates.show", candidate_id=candidate.id))
    return render_template("certificates/training_form.html", form=form, candidate=candidate)


@bp.get("/trainings/<int:record_id>/evidence")
@allow(*ORGANIZERS)
def training_evidence(record_id: int):
    """The evidence file of an external training."""
    record = db.session.get(TrainingRecord, record_id)
    if record is None or not record.evidence_file:
        abort(404)
    get_scoped(Candidate, record.candidate_id)
    path = upload_folder() / record.evidence_file
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=content_type_of(record.evidence_file),
        download_name=f"evidence-{record.id}.{record.evidence_file.rsplit('.', 1)[-1]}",
    )


@bp.route("/template", methods=["GET", "POST"])
@allow(Role.BRANCH_ADMIN)
def template():
    """The branch school's certificate template."""
    record = services.template_for(db.session, current_user.party_school_id)
    form = TemplateForm(obj=record)
    if form.validate_on_submit():
        form.populate_obj(record)
        record.updated_at = utcnow()
        db.session.commit()
        flash("已保存证书模板，此后颁发的证书使用新模板", "info")
        return redirect(url_for("certificates.template"))
    db.session.commit()  # the default template, created on first visit
    return render_template("certificates/template.html", form=form)


@bp.get("/mine")
@allow(Role.ACTIVIST)
def mine():
    """The trainee's own certificates."""
    candidate = candidate_of(db.session, current_user)
    certificates = (
        db.session.scalars(
            select(Certificate)
            .where(Certificate.candidate_id == candidate.id)
            .order_by(Certificate.issued_at.desc())
        ).all()
        if candidate
        else []
    )
    return render_template("certificates/mine.html", certificates=certificates)


@bp.get("/mine/<int:certificate_id>.pdf")
@allow(Role.ACTIVIST)
def my_pdf(certificate_id: int):
    """Download one's own certificate."""
    candidate = candidate_of(db.session, current_user)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or candidate is None or certificate.candidate_id != candidate.id:
        abort(404)
    return send_file(
        io.BytesIO(certificate.pdf),
        mimetype="application/pdf",
        download_name=f"{certificate.serial}.pdf",
    )
