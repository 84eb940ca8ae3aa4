"""Sign in and out, change password, and the administrators' account pages."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from partyschool.access import allow, public, scope_to_user, signed_in
from partyschool.accounts import locks, services
from partyschool.accounts.forms import LoginForm, PasswordForm, UserForm
from partyschool.accounts.models import ADMINS, Role, User
from partyschool.audit import AuditEvent, describe
from partyschool.extensions import db, limiter, utcnow
from partyschool.organization.models import PartySchool
from partyschool.web.navigation import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.username.data, form.password.data)
        db.session.commit()  # a failure counts against the account too
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash(services.SIGN_IN_REFUSED, "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    """Sign out everywhere: this session, the user's other sessions and API tokens."""
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    """Change one's own password; other sessions and tokens end, this one stays."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            form.current.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())
            flash("密码已修改，其他设备上的登录已失效", "info")
            return redirect(url_for("web.home"))
    return render_template("accounts/password.html", form=form)


def _schools_for(actor: User) -> list[PartySchool]:
    stmt = scope_to_user(select(PartySchool).order_by(PartySchool.id), PartySchool.id, actor)
    return list(db.session.scalars(stmt.where(PartySchool.is_active)))


def _user_form(actor: User, user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.role.choices = [SelectChoice(r.value, r.label) for r in services.manageable_roles(actor)]
    form.party_school.choices = [SelectChoice(s.id, s.name) for s in _schools_for(actor)]
    if user is not None and request.method == "GET":
        form.party_school.data = user.party_school_id
    return form


def _managed_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not services.can_manage(current_user, user):
        abort(404)
    return user


@bp.get("/admin/users")
@allow(*ADMINS)
def users():
    """The accounts this administrator manages."""
    stmt = scope_to_user(select(User), User.party_school_id).order_by(User.party_school_id, User.id)
    role = request.args.get("role")
    if role in set(Role):
        stmt = stmt.where(User.role == role)
    if q := (request.args.get("q") or "").strip()[:100]:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                User.username.like(pattern, escape="\\"),
                User.display_name.like(pattern, escape="\\"),
            )
        )
    users = db.session.scalars(stmt.options(joinedload(User.party_school))).all()
    return render_template(
        "accounts/users.html",
        users=users,
        roles=list(Role),
        locked=locks.locked_user_ids(db.session, utcnow()),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow(*ADMINS)
def new_user():
    """Create an account within the administrator's scope."""
    form = _user_form(current_user)
    if form.validate_on_submit():
        school = db.session.get(PartySchool, form.party_school.data)
        try:
            user = services.create_user(
                db.session,
                username=form.username.data.strip(),
                display_name=form.display_name.data.strip(),
                password=form.password.data or "",
                role=Role(form.role.data),
                school=school,
            )
        except services.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已创建账号 {user.username}", "info")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@allow(*ADMINS)
def edit_user(user_id: int):
    """Edit an account: name, role, party school, password, disabled."""
    user = _managed_user(user_id)
    form = _user_form(current_user, user)
    form.username.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            school = db.session.get(PartySchool, form.party_school.data)
            role = Role(form.role.data)
            if user.id == current_user.id and (role != user.role or form.is_disabled.data):
                raise services.AccountError("不能修改自己的角色或停用自己的账号")
            services.check_scope(role, school)
            user.display_name = form.display_name.data.strip()
            user.role, user.party_school = role, school
            if form.password.data:
                services.set_password(user, form.password.data)
            services.set_disabled(user, form.is_disabled.data)
        except services.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已保存账号 {user.username}", "info")
            return redirect(url_for("accounts.users"))
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.table_name == User.__tablename__, AuditEvent.row_id == user.id)
        .order_by(AuditEvent.id.desc())
    )
    lock = locks.lock_of(db.session, user)
    return render_template(
        "accounts/user_form.html",
        form=form,
        user=user,
        events=[describe(e) for e in events],
        locked_until=locks.locked_until(db.session, user, utcnow()),
        recent_failures=lock.failures if lock else 0,
    )


@bp.post("/admin/users/<int:user_id>/unlock")
@allow(*ADMINS)
def unlock_user(user_id: int):
    """Lift an account's sign-in lock; the audit trail keeps who did it."""
    user = _managed_user(user_id)
    if locks.clear(db.session, user):
        db.session.commit()
        flash(f"已解除账号 {user.username} 的登录锁定", "info")
    else:
        flash(f"账号 {user.username} 未被锁定", "info")
    return redirect(url_for("accounts.edit_user", user_id=user.id))
