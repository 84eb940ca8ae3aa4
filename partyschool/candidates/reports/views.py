"""Pages for thought reports: the activist hands them in and reads the comments; contacts and
organizers read, comment, and write the half-yearly assessments. Whoever may not read a
candidate's reports is answered 404, as if they did not exist."""

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from partyschool.access import allow, signed_in
from partyschool.accounts.models import STAFF, Role
from partyschool.candidates import services
from partyschool.candidates.models import Candidate
from partyschool.candidates.reports import forms
from partyschool.candidates.reports import services as reports
from partyschool.candidates.reports.models import ThoughtReport
from partyschool.candidates.rules import half_year_label
from partyschool.extensions import MAX_ID, db, today
from partyschool.uploads import (
    REPORT_FILES,
    UploadError,
    content_type_of,
    remove_files,
    store_upload,
    upload_folder,
)
from partyschool.web.navigation import add_nav

bp = Blueprint("thought_reports", __name__)

add_nav("思想汇报", "thought_reports.mine", Role.ACTIVIST)
add_nav("思想汇报批阅", "thought_reports.index", *STAFF)


@bp.app_template_filter("half_year")
def half_year(period: str) -> str:
    """Show "2026-1" as 2026年上半年."""
    return half_year_label(period)


def _readable(candidate: Candidate | None) -> Candidate:
    if candidate is None or not reports.may_read(current_user, candidate):
        abort(404)
    return candidate


def _report(thought_report_id: int) -> tuple[ThoughtReport, Candidate]:
    valid = 0 < thought_report_id <= MAX_ID
    report = db.session.get(ThoughtReport, thought_report_id) if valid else None
    if report is None:
        abort(404)
    return report, _readable(db.session.get(Candidate, report.candidate_id))


def _candidate(candidate_id: int) -> Candidate:
    valid = 0 < candidate_id <= MAX_ID
    return _readable(db.session.get(Candidate, candidate_id) if valid else None)


@bp.route("/my/thought-reports", methods=["GET", "POST"])
@allow(Role.ACTIVIST)
def mine():
    """The activist's thought reports with their comments, and the form to hand in one."""
    candidate = services.candidate_of(db.session, current_user)
    form = forms.ReportForm()
    submitted = candidate is not None and form.validate_on_submit()
    if submitted and (report := _submit(candidate, form)):
        flash("思想汇报已递交", "info")
        return redirect(url_for("thought_reports.show", thought_report_id=report.id))
    decision = None
    if candidate is not None:
        decision = services.assess(db.session, [candidate], today())[0].promotion
    due = [
        reason
        for reason in (decision.blocking if decision else ())
        if reason.rule.endswith(("thought_reports", "half_year_assessments"))
    ]
    return render_template(
        "candidates/reports/mine.html", candidate=candidate, form=form, due=due, today=today()
    )


def _submit(candidate: Candidate, form: forms.ReportForm) -> ThoughtReport | None:
    """Store the file (if any) and hand the report in; on a refusal nothing is kept. Only the
    paper form carries a date; the activist's report is dated the day it arrives."""
    stored = None
    try:
        if form.file.data:
            stored = store_upload(form.file.data, REPORT_FILES)
        report = reports.submit_report(
            db.session,
            candidate,
            current_user,
            title=form.title.data,
            body=form.body.data,
            submitted_on=form.submitted_on.data if "submitted_on" in form else None,
            stored_name=stored.stored_name if stored else None,
            original_name=stored.original_name if stored else None,
            today=today(),
        )
    except UploadError as error:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(error)]
        return None
    except services.RecordError as error:
        db.session.rollback()
        remove_files([stored.stored_name if stored else None])
        form.body.errors = [*form.body.errors, str(error)]
        return None
    db.session.commit()
    return report


@bp.get("/thought-reports/")
@allow(*STAFF)
def index():
    """Reports awaiting a comment, and the candidates whose contact the user is."""
    total, awaiting = reports.awaiting_comment(db.session, current_user, limit=100)
    return render_template(
        "candidates/reports/index.html",
        total=total,
        awaiting=awaiting,
        mine=reports.contact_candidates(db.session, current_user),
    )


@bp.get("/thought-reports/<int:thought_report_id>")
@signed_in
def show(thought_report_id: int):
    """One report with its comments; contacts and organizers may comment."""
    report, candidate = _report(thought_report_id)
    may_comment = reports.may_comment(current_user, candidate)
    return render_template(
        "candidates/reports/show.html",
        report=report,
        candidate=candidate,
        form=forms.CommentForm() if may_comment else None,
    )


@bp.post("/thought-reports/<int:thought_report_id>/comments")
@allow(*STAFF)
def comment(thought_report_id: int):
    """Comment a report (批阅)."""
    report, candidate = _report(thought_report_id)
    if not reports.may_comment(current_user, candidate):
        abort(404)
    form = forms.CommentForm()
    if form.validate_on_submit():
        try:
            reports.comment_report(db.session, report, candidate, current_user, form.text.data)
        except services.RecordError as error:
            db.session.rollback()
            form.text.errors = [str(error)]
        else:
            db.session.commit()
            flash("批阅意见已保存", "info")
            return redirect(url_for("thought_reports.show", thought_report_id=report.id))
    return render_template(
        "candidates/reports/show.html", report=report, candidate=candidate, form=form
    )


@bp.get("/thought-reports/<int:thought_report_id>/file")
@signed_in
def download(thought_report_id: int):
    """The report's file, always as a download (never shown inline)."""
    report, _ = _report(thought_report_id)
    if not report.stored_name:
        abort(404)
    path = upload_folder() / report.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type_of(report.stored_name),
        as_attachment=True,
        download_name=report.original_name or report.stored_name,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.route("/candidates/<int:candidate_id>/thought-reports", methods=["GET", "POST"])
@allow(*STAFF)
def candidate_reports(candidate_id: int):
    """A candidate's thought reports and half-yearly assessments, with the assessment form."""
    candidate = _candidate(candidate_id)
    if not reports.may_comment(current_user, candidate):
        abort(404)
    form = forms.AssessmentForm(today=today(), written_on=today())
    if form.validate_on_submit():
        try:
            reports.record_assessment(
                db.session,
                candidate,
                current_user,
                period=form.period.data,
                written_on=form.written_on.data,
                content=form.content.data,
                today=today(),
            )
        except services.RecordError as error:
            db.session.rollback()
            form.content.errors = [str(error)]
        else:
            db.session.commit()
            flash("半年考察意见已保存", "info")
            return redirect(url_for(".candidate_reports", candidate_id=candidate.id))
    return render_template(
        "candidates/reports/candidate.html",
        candidate=candidate,
        form=form,
        paper_form=forms.PaperReportForm(formdata=None, submitted_on=today()),
    )


@bp.post("/candidates/<int:candidate_id>/thought-reports/paper")
@allow(*STAFF)
def record_paper_report(candidate_id: int):
    """Record a thought report the candidate handed in on paper (a contact or organizer)."""
    candidate = _candidate(candidate_id)
    if not reports.may_comment(current_user, candidate):
        abort(404)
    paper_form = forms.PaperReportForm()
    if paper_form.validate_on_submit() and _submit(candidate, paper_form):
        flash("纸质思想汇报已登记", "info")
        return redirect(url_for(".candidate_reports", candidate_id=candidate.id))
    return render_template(
        "candidates/reports/candidate.html",
        candidate=candidate,
        form=forms.AssessmentForm(formdata=None, today=today(), written_on=today()),
        paper_form=paper_form,
    )
