"""The materials archive's pages: a candidate's documents and checklist, uploading, checking,
exporting; and the district organizers' list of graduate students whose materials they review."""

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from partyschool.access import allow, get_scoped
from partyschool.accounts.models import ORGANIZERS, Role
from partyschool.candidates import identity
from partyschool.candidates.archive import export, forms, services
from partyschool.candidates.archive.models import Material, MaterialKind, MaterialStatus
from partyschool.candidates.committing import committed
from partyschool.candidates.models import Candidate
from partyschool.candidates.services import RecordError
from partyschool.extensions import MAX_ID, db, today
from partyschool.uploads import content_type_of, remove_files, upload_folder
from partyschool.web.navigation import add_nav

bp = Blueprint("materials", __name__, url_prefix="/materials")
add_nav("研究生材料审核", "materials.district", Role.ORGANIZER)


def _reviewable(candidate_id: int) -> Candidate:
    """The candidate whose materials the user may open: their branch's, or a graduate student
    living in their district; 404 for anyone else's, as if it did not exist."""
    candidate = db.session.get(Candidate, candidate_id) if 0 < candidate_id <= MAX_ID else None
    if candidate is None or not services.may_review(current_user, candidate):
        abort(404)
    return candidate


def _material(material_id: int) -> Material:
    material = db.session.get(Material, material_id) if 0 < material_id <= MAX_ID else None
    if material is None:
        abort(404)
    return material


def _back(candidate: Candidate):
    return redirect(url_for("materials.index", candidate_id=candidate.id))


def _page(candidate: Candidate, upload_form=None, status: int = 200):
    materials = services.materials_of(db.session, [candidate.id])[candidate.id]
    keeps = services.keeps_file(current_user, candidate)
    return render_template(
        "materials/index.html",
        candidate=candidate,
        materials=materials,
        stages=services.checklist(candidate, materials),
        keeps_file=keeps,
        upload_form=(upload_form or forms.UploadForm()) if keeps else None,
        check_form=forms.CheckForm(),
        withdraw_form=forms.WithdrawForm(),
    ), status


@bp.get("/candidates/<int:candidate_id>")
@allow(*ORGANIZERS)
def index(candidate_id: int):
    """A candidate's materials: the checklist per stage, each document and its check."""
    return _page(_reviewable(candidate_id))


@bp.post("/candidates/<int:candidate_id>/upload")
@allow(*ORGANIZERS)
def upload(candidate_id: int):
    """Upload one document to the archive of a candidate of the user's branch school."""
    candidate = get_scoped(Candidate, candidate_id, editable=True)
    form = forms.UploadForm()
    if not form.validate_on_submit():
        return _page(candidate, form, 400)
    uploaded = lambda: services.upload_material(  # noqa: E731
        db.session,
        candidate,
        MaterialKind(form.kind.data),
        form.file.data,
        form.title.data,
        current_user,
    )
    if not committed(uploaded, lambda m: f"已上传：{m.kind.label}（待审核）", "未上传："):
        return _page(candidate, form, 400)
    return _back(candidate)


@bp.post("/<int:material_id>/check")
@allow(*ORGANIZERS)
def check(material_id: int):
    """Mark a document checked, or return it with a comment."""
    material = _material(material_id)
    candidate = _reviewable(material.candidate_id)
    form = forms.CheckForm()
    if form.validate_on_submit():
        checked = lambda: services.check_material(  # noqa: E731
            db.session,
            candidate,
            material,
            MaterialStatus(form.status.data),
            form.comment.data,
            current_user,
        )
        committed(checked, lambda _: f"{material.kind.label}：{material.status.label}", "未保存：")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return _back(candidate)


@bp.post("/<int:material_id>/withdraw")
@allow(*ORGANIZERS)
def withdraw(material_id: int):
    """Take a document uploaded by mistake out of the archive, with the reason."""
    material = _material(material_id)
    candidate = get_scoped(Candidate, material.candidate_id, editable=True)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        flash("请填写撤回原因", "error")
        return _back(candidate)
    try:
        stored = services.withdraw_material(
            db.session, candidate, material, form.reason.data, current_user
        )
    except RecordError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(candidate)
    db.session.commit()
    remove_files([stored])
    flash("已撤回该材料", "info")
    return _back(candidate)


@bp.get("/<int:material_id>/file")
@allow(*ORGANIZERS)
def download(material_id: int):
    """The uploaded file of a document, for whoever may review it."""
    material = _material(material_id)
    _reviewable(material.candidate_id)
    path = upload_folder() / material.stored_name
    if not path.is_file():
        abort(404)
    # Read whole (at most 20 MB): no open file outlives a response that is never closed.
    return send_file(
        BytesIO(path.read_bytes()),
        mimetype=content_type_of(material.stored_name),
        as_attachment=True,
        download_name=f"{material.kind.label}-{material.id}.{material.extension}",
    )


def _archive_name(candidate: Candidate, extension: str) -> str:
    name = export.safe_part(candidate.name, 40) or "学员"
    return f"{name}-{candidate.student_no}-入党材料.{extension}"


@bp.get("/candidates/<int:candidate_id>/archive.zip")
@allow(*ORGANIZERS)
def archive_zip(candidate_id: int):
    """The whole archive as a ZIP with a contents list, for the receiving organization."""
    candidate = get_scoped(Candidate, candidate_id, editable=True)
    materials = services.materials_of(db.session, [candidate.id])[candidate.id]
    data = export.archive_zip(candidate, materials, upload_folder(), today())
    return send_file(
        BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=_archive_name(candidate, "zip"),
    )


@bp.get("/candidates/<int:candidate_id>/archive.pdf")
@allow(*ORGANIZERS)
def archive_pdf(candidate_id: int):
    """The whole archive as one PDF: cover sheet, contents, then the documents."""
    candidate = get_scoped(Candidate, candidate_id, editable=True)
    materials = services.materials_of(db.session, [candidate.id])[candidate.id]
    sees = identity.may_see_identity(current_user, candidate.party_school_id)
    data = export.archive_pdf(
        candidate,
        materials,
        upload_folder(),
        today(),
        id_number=candidate.id_number if sees else identity.mask(candidate.id_number),
        exported_by=current_user.display_name,
    )
    return send_file(
        BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_archive_name(candidate, "pdf"),
    )


@bp.get("/district")
@allow(Role.ORGANIZER)
def district():
    """Graduate students living in the organizer's district, whose materials they review."""
    candidates = db.session.scalars(services.district_graduates(current_user)).all()
    materials = services.materials_of(db.session, [c.id for c in candidates])
    rows = [
        (
            c,
            sum(m.status is MaterialStatus.PENDING for m in materials[c.id]),
            services.missing_count(c, materials[c.id]),
        )
        for c in candidates
    ]
    return render_template("materials/district.html", rows=rows)
