"""The audit trail covers accounts, enrolment decisions, grades and certificates, and people
read it in Chinese labels, not column names and raw values."""

from sqlalchemy import select

from courses.models import EnrolmentStatus
from partyschool.accounts.models import Role, User
from partyschool.audit import REDACTED, AuditEvent, describe
from tests.factories import (
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_user,
    reread,
    school_level,
)


def _events(session, table: str, row_id: int) -> list[AuditEvent]:
    reread(session)
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.table_name == table, AuditEvent.row_id == row_id)
        .order_by(AuditEvent.id)
    ).all()


def test_role_change_password_reset_and_disabling_are_audited_without_the_hash(
    app, client, session, school
):
    top = make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    target = make_user(session, Role.INSTRUCTOR, school, username="teacher", display_name="赵老师")
    session.commit()
    client.login("top")
    form = {
        "username": "teacher",
        "display_name": "赵老师",
        "role": "organizer",
        "party_school": school.id,
        "password": "a-new-password-1",
        "is_disabled": "y",
    }
    assert client.post(f"/admin/users/{target.id}", form).status_code == 302
    [created, changed] = _events(session, "users", target.id)
    assert changed.actor_id == top.id and changed.action == "update"
    assert changed.after["role"] == "organizer" and changed.after["is_disabled"] is True
    assert changed.after["password_hash"] == REDACTED
    stored_hash = session.get(User, target.id).password_hash
    assert stored_hash not in str(created.after) + str(changed.before) + str(changed.after)

    entry = describe(changed)
    assert entry.title == "账号" and entry.action == "修改"
    readable = {c.label: (c.before, c.after) for c in entry.changes}
    assert readable["角色"] == ("党校教师", "组织员")
    assert readable["已停用"] == ("否", "是")
    assert readable["密码"][1] == REDACTED
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "角色：党校教师 → 组织员" in page and "password_hash" not in page


def test_an_enrolment_decision_is_on_the_candidates_timeline_in_chinese(client, session, school):
    training_class = make_class(session, make_course(session, school))
    candidate = make_candidate(session, school, name="钱七")
    enrolment = make_enrolment(session, training_class, candidate, status=EnrolmentStatus.PENDING)
    session.commit()
    client.login("badmin")
    client.post(f"/classes/enrolments/{enrolment.id}/decide", {"decision": "approve"})
    [*_, decided] = _events(session, "enrolments", enrolment.id)
    assert decided.candidate_id == candidate.id and decided.actor is not None
    client.login("org")
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "修改培训班报名" in page and "状态：待审核 → 已录取" in page
    assert "status" not in page.split('id="timeline"')[1]
