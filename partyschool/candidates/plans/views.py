"""The annual development plan: each branch school's year by month, and the school's view."""

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from partyschool.access import allow, get_scoped, school_scope
from partyschool.accounts.models import ORGANIZERS
from partyschool.candidates.plans import services
from partyschool.candidates.plans.forms import PlanForm
from partyschool.candidates.plans.models import PLANNED_STAGES
from partyschool.candidates.services import RecordError
from partyschool.extensions import db, today
from partyschool.organization.models import PartySchool
from partyschool.web.navigation import add_nav

bp = Blueprint("plans", __name__, url_prefix="/plans")

add_nav("发展计划", "plans.index", *ORGANIZERS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_context_processor
def plan_labels() -> dict:
    """The planned stages' Chinese names for every plan template."""
    return {"PLANNED_STAGES": PLANNED_STAGES}


def _year(value: int | str | None) -> int:
    """A year from the URL or the query string; this year when absent, 404 when absurd."""
    if value in (None, ""):
        return today().year
    year = int(value) if str(value).isdigit() else 0
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _school(school_id: int) -> PartySchool:
    school = get_scoped(PartySchool, school_id, lambda s: s)
    if school.is_school_level or school.kind not in services.PLAN_KINDS:
        abort(404)
    return school


def _xlsx(data: bytes, name: str):
    return send_file(BytesIO(data), download_name=name, as_attachment=True, mimetype=XLSX)


@bp.get("/")
@allow(*ORGANIZERS)
def index():
    """The school level's table of every branch's plan against actual; a branch goes to its
    own year."""
    year = _year(request.args.get("year"))
    own = school_scope()
    if own is not None:
        return redirect(url_for("plans.show", school_id=own, year=year))
    return render_template(
        "candidates/plans/index.html", year=year, rows=services.overview(db.session, year)
    )


@bp.get("/export.xlsx")
@allow(*ORGANIZERS)
def export_overview():
    """Every branch's plan against actual for a year (a branch: its own row) as XLSX."""
    year = _year(request.args.get("year"))
    rows = services.overview(db.session, year, school_scope())
    return _xlsx(services.export_overview(rows, year), f"development-plans-{year}.xlsx")


@bp.get("/<int:school_id>/<int:year>")
@allow(*ORGANIZERS)
def show(school_id: int, year: int):
    """A branch school's year month by month: each month's entries, cumulative, against plan."""
    school, year = _school(school_id), _year(year)
    return render_template(
        "candidates/plans/show.html",
        progress=services.progress(db.session, school, year),
        may_edit=year in services.plannable_years(today()),
        this_year=today().year,
    )


@bp.get("/<int:school_id>/<int:year>/export.xlsx")
@allow(*ORGANIZERS)
def export(school_id: int, year: int):
    """A branch school's year by month as XLSX."""
    school, year = _school(school_id), _year(year)
    progress = services.progress(db.session, school, year)
    return _xlsx(services.export_progress(progress), f"development-plan-{school.code}-{year}.xlsx")


@bp.route("/<int:school_id>/<int:year>/edit", methods=["GET", "POST"])
@allow(*ORGANIZERS)
def edit(school_id: int, year: int):
    """Set or adjust the year's plan (an adjustment names its reason)."""
    school, year = _school(school_id), _year(year)
    plan = services.plan_of(db.session, school.id, year)
    form = PlanForm()
    if plan is not None and request.method == "GET":
        form.fill(plan)
    if form.validate_on_submit():
        try:
            services.set_plan(
                db.session,
                school,
                year,
                form.targets(),
                form.monthly(),
                form.note.data,
                form.change_reason.data,
                current_user,
                today(),
            )
        except RecordError as error:
            flash(str(error), "error")
            db.session.rollback()
        else:
            db.session.commit()
            flash(f"已保存{year}年度发展计划", "info")
            return redirect(url_for("plans.show", school_id=school.id, year=year))
    return render_template(
        "candidates/plans/edit.html", form=form, school=school, year=year, plan=plan
    )
