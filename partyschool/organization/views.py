"""The school administrator's pages for branch schools."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from partyschool.access import allow
from partyschool.accounts.models import Role
from partyschool.extensions import db
from partyschool.organization import services
from partyschool.organization.forms import BranchSchoolForm, CollegeBuildingForm
from partyschool.organization.models import College, PartySchool

bp = Blueprint("organization", __name__, url_prefix="/admin/schools")


@bp.get("/")
@allow(Role.SCHOOL_ADMIN)
def schools():
    """The branch schools and how many accounts each has."""
    return render_template("organization/schools.html", rows=services.branch_schools(db.session))


@bp.route("/new", methods=["GET", "POST"], defaults={"school_id": None})
@bp.route("/<int:school_id>", methods=["GET", "POST"])
@allow(Role.SCHOOL_ADMIN)
def edit_school(school_id: int | None):
    """Create or edit a branch school."""
    school = db.session.get(PartySchool, school_id) if school_id else None
    if school_id and (school is None or school.is_school_level):
        abort(404)
    form = BranchSchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            services.save_branch_school(
                db.session,
                school,
                code=form.code.data,
                name=form.name.data.strip(),
                kind=form.kind.data,
                is_active=form.is_active.data,
            )
        except services.OrganizationError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("已保存分党校", "info")
            return redirect(url_for("organization.schools"))
    return render_template("organization/school_form.html", form=form, school=school)


@bp.get("/colleges")
@allow(Role.SCHOOL_ADMIN)
def colleges():
    """The colleges and the building where each posts its undergraduates' 公示."""
    return render_template(
        "organization/colleges.html",
        colleges=services.colleges(db.session),
        form=CollegeBuildingForm(),
    )


@bp.post("/colleges/<int:college_id>")
@allow(Role.SCHOOL_ADMIN)
def name_notice_building(college_id: int):
    """Name a college's building for 公示 (学院楼栋)."""
    college = db.session.get(College, college_id)
    if college is None:
        abort(404)
    form = CollegeBuildingForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            services.name_notice_building(db.session, college, form.notice_building.data)
        except services.OrganizationError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已保存{college.name}的公示楼栋", "info")
    return redirect(url_for("organization.colleges"))
