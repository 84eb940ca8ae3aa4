"""Home pages per role (each role's workbench) and the health check."""

import redis
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select, text

from courses import services as enrolments
from courses import workbench as classes
from courses.models import Enrolment, TrainingClass
from exams import workbench as exams
from partyschool.access import allow, public, school_scope, scope_to_user, signed_in
from partyschool.accounts import notifications
from partyschool.accounts.models import ADMINS, Role
from partyschool.candidates import workbench as records
from partyschool.candidates.plans import services as plans
from partyschool.candidates.reports import services as thought_reports
from partyschool.candidates.rules import STAGE_LABELS, STEP_LABELS, Stage
from partyschool.certificates import workbench as certificates
from partyschool.extensions import as_id, db, today, utcnow
from partyschool.web.navigation import safe_next

bp = Blueprint("web", __name__)


def activist_context() -> dict:
    """The trainee's class, exam, report, grade, certificate, standing and open classes."""
    now, on = utcnow(), today()
    standing = records.own_standing(db.session, current_user, on)
    current = classes.current_class(db.session, current_user, now)
    enrolment = current.enrolment if current else None
    context = {
        "standing": standing,
        "current": current,
        "exam": exams.next_exam(db.session, enrolment, now),
        "grade": certificates.trainee_grade(db.session, enrolment),
        "certificates": [],
        "applications": [],
        "open_classes": [],
    }
    if standing is not None:
        candidate = standing.candidate
        context["certificates"] = certificates.own_certificates(db.session, candidate.id)
        context["applications"] = classes.applications(db.session, candidate)
        context["open_classes"] = classes.open_classes(db.session, current_user, candidate, on)
    return context


def _reports_awaiting() -> dict:
    """Thought reports waiting for the user's comment (as an organizer or a contact)."""
    total, oldest = thought_reports.awaiting_comment(db.session, current_user, records.QUEUE_SIZE)
    return {"reports_total": total, "reports_awaiting": oldest}


def instructor_context() -> dict:
    """The instructor's classes, today's lectures, essays and reports to review, open exams."""
    now, on = utcnow(), today()
    taught = classes.taught_classes(db.session, current_user, on)
    return {
        "taught": taught,
        "admitted": classes.admitted_counts(db.session, taught),
        "lectures": classes.lectures_on(db.session, taught, on),
        "reports": classes.reports_waiting(db.session, taught),
        "essays": exams.essays_waiting(db.session, taught),
        "live_exams": exams.open_exams(db.session, taught, now),
        "bands": exams.score_bands(db.session, taught),
        "class_names": {c.id: c.title for c in taught},
        **_reports_awaiting(),
    }


def branch_admin_context() -> dict:
    """The enrolment queue of every class, running classes and completion of those ending."""
    on = today()
    waiting_total, waiting = classes.waiting_applications(db.session, current_user)
    ending = certificates.completion_of(
        db.session, classes.ending_soon(db.session, current_user, on)
    )
    return {
        "waiting_total": waiting_total,
        "waiting": waiting,
        "running": classes.running_classes(db.session, current_user, on),
        "ending": ending,
        "ending_rates": [
            (s.training_class.title, s.rate, f"{s.issued}/{s.enrolled}") for s in ending
        ],
        "plans": plans.overview(db.session, on.year, school_scope()),
    }


def organizer_context() -> dict:
    """The organizer's queues and the pipeline of their branch."""
    on = today()
    soon_total, soon = records.soon_eligible(db.session, current_user, on)
    hours_total, hours = records.pending_volunteer_hours(db.session, current_user)
    pipeline = records.pipeline(db.session, current_user)
    return {
        "soon_total": soon_total,
        "soon": soon,
        "blocked_total": records.blocked_total(db.session, current_user),
        "blocked": records.blocked_by_reason(db.session, current_user),
        "hours_total": hours_total,
        "hours": hours,
        **_reports_awaiting(),
        "publicity": records.publicity_ending(db.session, current_user, on),
        "to_verify": certificates.classes_to_verify(db.session, current_user, on),
        "pipeline": pipeline,
        "pipeline_pairs": [(STAGE_LABELS[stage], count) for stage, count in pipeline.items()],
        "plans": plans.overview(db.session, on.year, school_scope()),
    }


def school_admin_context() -> dict:
    """Every branch school side by side, with the school's own queues."""
    on = today()
    context = organizer_context()
    context.update(
        schools=records.branch_schools(db.session),
        stages=records.pipeline_by_school(db.session),
        running=classes.running_by_school(db.session, on),
        completion=certificates.completion_by_school(db.session, on),
        passes=exams.pass_rates_by_school(db.session),
        issued=certificates.certificates_by_school(db.session),
    )
    context["completion_rates"] = [
        (school.name, done / total if total else 0.0, f"{done}/{total}")
        for school in context["schools"]
        for total, done in [context["completion"].get(school.id, (0, 0))]
    ]
    context["pass_rates"] = [
        (school.name, passed / total if total else 0.0, f"{passed}/{total}")
        for school in context["schools"]
        for total, passed in [context["passes"].get(school.id, (0, 0))]
    ]
    return context


CONTEXTS = {
    Role.ACTIVIST: activist_context,
    Role.INSTRUCTOR: instructor_context,
    Role.BRANCH_ADMIN: branch_admin_context,
    Role.ORGANIZER: organizer_context,
    Role.SCHOOL_ADMIN: school_admin_context,
}


@bp.get("/")
@public
def home():
    """The signed-in user's workbench, which depends on their role."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    context = CONTEXTS[current_user.role]()
    return render_template(
        f"web/home_{current_user.role.value}.html",
        STAGE_LABELS=STAGE_LABELS,
        STEP_LABELS=STEP_LABELS,
        STAGES=list(Stage),
        today=today(),
        now=utcnow(),
        **context,
    )


@bp.post("/enrolments/decide")
@allow(*ADMINS)
def decide_enrolments():
    """Approve or refuse the chosen applications of the admin's classes at once; a refusal
    takes the reason written on its line."""
    ids = [i for i in map(as_id, request.form.getlist("enrolment_id")) if i]
    chosen = db.session.scalars(
        scope_to_user(
            select(Enrolment).join(TrainingClass, Enrolment.class_id == TrainingClass.id),
            TrainingClass.party_school_id,
            current_user,
        ).where(Enrolment.id.in_(ids))
    ).all()
    approve = request.form.get("decision") == "approve"
    done, refused = 0, []
    for application in chosen:
        try:
            if approve:
                enrolments.approve(db.session, application, current_user)
            else:
                reason = request.form.get(f"reason-{application.id}") or request.form.get(
                    "reason", ""
                )
                enrolments.reject(db.session, application, current_user, reason)
        except enrolments.EnrolmentError as error:
            refused.append(f"{application.candidate.name}：{error}")
        else:
            done += 1
    db.session.commit()
    if done:
        flash(f"已{'录取' if approve else '不予录取'} {done} 人", "info")
    for line in refused:
        flash(line, "error")
    if not chosen:
        flash("请先勾选报名", "error")
    return redirect(url_for("web.home"))


@bp.app_context_processor
def unread_notifications() -> dict:
    """The bell's count of unread notifications, on every page of a signed-in user."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": notifications.unread_count(db.session, current_user)}


@bp.get("/notifications")
@signed_in
def notification_list():
    """The user's notifications, unread first."""
    return render_template(
        "web/notifications.html", items=notifications.latest(db.session, current_user)
    )


@bp.get("/notifications/<int:notification_id>")
@signed_in
def open_notification(notification_id: int):
    """Open a notification: it is read now, and leads where it points."""
    found = notifications.open_notification(db.session, current_user, notification_id)
    if found is None:
        abort(404)
    db.session.commit()
    return redirect(safe_next(found.url or url_for("web.notification_list")))


@bp.post("/notifications/read")
@signed_in
def read_all_notifications():
    """Mark every notification of the user read."""
    notifications.mark_all_read(db.session, current_user)
    db.session.commit()
    return redirect(url_for("web.notification_list"))


def _redis_answers(url: str) -> bool:
    """True when the Redis server of the rate limits answers a PING within a second."""
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@bp.get("/healthz")
@public
def healthz():
    """Each dependency's state for load balancers and monitors.

    `ok` when all answer; `degraded` (still 200: the site serves, with per-process rate
    limits) when Redis is down; `error` (503) when the database is.
    """
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        checks["database"] = "unreachable"
        return jsonify(status="error", database="unreachable", checks=checks), 503
    checks["database"] = "ok"
    storage = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith(("redis://", "rediss://")):
        checks["redis"] = "ok" if _redis_answers(storage) else "unreachable"
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    return jsonify(status=status, database=db.engine.dialect.name, checks=checks)
