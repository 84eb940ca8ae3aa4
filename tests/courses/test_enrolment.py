"""Enrolment respects eligibility, the window, capacity, the waiting list and approval."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.models import Enrolment, EnrolmentStatus
from partyschool.accounts.models import Role, User
from partyschool.candidates.models import DormRating, Veto
from partyschool.candidates.rules import DormGrade, Stage, VetoHolder
from partyschool.extensions import today
from partyschool.organization.models import Building, Room
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_user,
    reread,
)


def trainee(session, school, username, **overrides):
    user = make_user(session, Role.ACTIVIST, school, username=username)
    return make_candidate(session, school, user=user, **overrides)


def status_of(session, candidate, training_class):
    return reread(session).scalar(
        select(Enrolment.status).where(
            Enrolment.candidate_id == candidate.id, Enrolment.class_id == training_class.id
        )
    )


def test_apply_then_approved(app, client, session, school):
    training_class = make_class(session, make_course(session, school))
    candidate = trainee(session, school, "stu")
    session.commit()
    client.login("stu")
    response = client.post(f"/classes/{training_class.id}/apply", follow_redirects=True)
    assert "已提交报名" in response.get_data(as_text=True)
    assert status_of(session, candidate, training_class) is EnrolmentStatus.PENDING
    admin = type(client)(app)
    admin.login("badmin")
    enrolment = session.scalar(select(Enrolment))
    admin.post(f"/classes/enrolments/{enrolment.id}/decide", {"decision": "approve"})
    assert status_of(session, candidate, training_class) is EnrolmentStatus.APPROVED
    page = client.get(f"/classes/{training_class.id}").get_data(as_text=True)
    assert "已录取" in page


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("veto", "否决权"),
        ("dirty_dorm", "脏乱差"),
        ("member", "正式党员"),
        ("closed", "报名时间"),
        ("other_school", "只招收"),
    ],
)
def test_refusals_show_every_reason_and_write_nothing(client, session, school, setup, reason):
    training_class = make_class(session, make_course(session, school))
    candidate = trainee(session, school, "stu")
    if setup == "veto":
        candidate.vetoes.append(
            Veto(holder=VetoHolder.COLLEGE, holder_name="学院", reason="违纪", decided_on=today())
        )
    elif setup == "dirty_dorm":
        room = Room(building=Building(name="1号楼", party_school=school), number="101")
        session.add(DormRating(room=room, term="2025-2026-1", grade=DormGrade.DIRTY))
        candidate.room = room
    elif setup == "member":
        candidate.stage = Stage.MEMBER
    elif setup == "closed":
        training_class.enrol_closes_on = today() - timedelta(days=1)
    elif setup == "other_school":
        other = make_class(session, make_course(session))
        training_class = other
    session.commit()
    client.login("stu")
    page = client.get(f"/classes/{training_class.id}").get_data(as_text=True)
    if setup != "other_school":
        assert "暂不能报名" in page and reason in page
    response = client.post(f"/classes/{training_class.id}/apply", follow_redirects=True)
    assert response.status_code in (200, 404)
    assert status_of(session, candidate, training_class) is None


def test_capacity_waiting_list_and_moving_up(app, client, session, school):
    training_class = make_class(session, make_course(session, school), capacity=1)
    first = trainee(session, school, "first")
    second = trainee(session, school, "second")
    outstanding = trainee(session, school, "third", is_outstanding_class=True)
    session.commit()
    for username in ("first", "second", "third"):
        c = type(client)(app)
        c.login(username)
        c.post(f"/classes/{training_class.id}/apply")
    admin = type(client)(app)
    admin.login("badmin")
    for enrolment in session.scalars(select(Enrolment).order_by(Enrolment.id)).all():
        admin.post(f"/classes/enrolments/{enrolment.id}/decide", {"decision": "approve"})
    assert status_of(session, first, training_class) is EnrolmentStatus.APPROVED
    assert status_of(session, second, training_class) is EnrolmentStatus.WAITLISTED
    assert status_of(session, outstanding, training_class) is EnrolmentStatus.WAITLISTED
    leaver = type(client)(app)
    leaver.login("first")
    leaver.post(f"/classes/{training_class.id}/withdraw")
    assert status_of(session, first, training_class) is EnrolmentStatus.WITHDRAWN
    # The outstanding dormitory/class gives priority over the earlier application (seed 000).
    assert status_of(session, outstanding, training_class) is EnrolmentStatus.APPROVED
    assert status_of(session, second, training_class) is EnrolmentStatus.WAITLISTED


def test_reject_needs_a_reason_the_applicant_reads(app, client, session, school):
    training_class = make_class(session, make_course(session, school))
    candidate = trainee(session, school, "stu")
    session.commit()
    client.login("stu")
    client.post(f"/classes/{training_class.id}/apply")
    admin = type(client)(app)
    admin.login("badmin")
    enrolment = session.scalar(select(Enrolment))
    admin.post(f"/classes/enrolments/{enrolment.id}/decide", {"decision": "reject"})
    assert status_of(session, candidate, training_class) is EnrolmentStatus.PENDING
    admin.post(
        f"/classes/enrolments/{enrolment.id}/decide",
        {"decision": "reject", "reason": "本期名额已满，请报下一期"},
    )
    assert status_of(session, candidate, training_class) is EnrolmentStatus.REJECTED
    assert "本期名额已满" in client.get(f"/classes/{training_class.id}").get_data(as_text=True)


def test_organizer_nominates_a_list(client, session, school):
    training_class = make_class(session, make_course(session, school))
    ok = make_candidate(session, school, student_no="N0001")
    blocked = make_candidate(session, school, student_no="N0002", stage=Stage.MEMBER)
    foreign = make_candidate(session, make_branch_school(session), student_no="N0003")
    session.commit()
    client.login("org")
    response = client.post(
        f"/classes/{training_class.id}/nominate",
        {"student_nos": "N0001, N0002\nN0003 N9999"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "已推荐 1 人" in text and "N0002" in text and "N9999" in text
    assert status_of(session, ok, training_class) is EnrolmentStatus.PENDING
    assert status_of(session, blocked, training_class) is None
    assert status_of(session, foreign, training_class) is None
    nominated = session.scalar(select(Enrolment))
    assert nominated.nominated_by_id is not None


def test_api_lists_open_classes_with_reasons_and_applies(client, session, school, token):
    open_class = make_class(session, make_course(session, school))
    closed = make_class(
        session, make_course(session, school), enrol_closes_on=today() - timedelta(days=1)
    )
    candidate = trainee(session, school, "stu", days_in_stage=30)
    candidate_class = make_class(
        session, make_course(session, school, target_stage=Stage.CANDIDATE)
    )
    session.commit()
    bearer = {"Authorization": f"Bearer {token('stu')}"}
    items = {c["id"]: c for c in client.get("/api/v1/classes", headers=bearer).get_json()["items"]}
    assert open_class.id in items and closed.id not in items
    assert items[open_class.id]["may_apply"] is True
    refused = items[candidate_class.id]
    assert refused["may_apply"] is False
    assert "national.activist_one_year" in {r["rule"] for r in refused["reasons"]}
    response = client.post(f"/api/v1/classes/{candidate_class.id}/enrolments", headers=bearer)
    assert response.status_code == 422
    assert "national.activist_one_year" in {r["rule"] for r in response.get_json()["reasons"]}
    response = client.post(f"/api/v1/classes/{open_class.id}/enrolments", headers=bearer)
    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    again = client.post(f"/api/v1/classes/{open_class.id}/enrolments", headers=bearer)
    assert again.status_code == 422 and "已报名" in again.get_json()["message"]
    assert status_of(session, candidate, open_class) is EnrolmentStatus.PENDING


def test_branch_admin_creates_a_class(client, session, school):
    course = make_course(session, school)
    session.commit()
    client.login("badmin")
    page = client.get("/classes/new").get_data(as_text=True)
    assert course.title in page
    on = today()
    form = {
        "course_id": course.id,
        "name": "入党积极分子培训班",
        "number": 36,
        "starts_on": on,
        "ends_on": on + timedelta(days=20),
        "capacity": 80,
        "enrol_opens_on": on,
        "enrol_closes_on": on + timedelta(days=5),
        "head_teacher_id": session.scalar(select(User.id).where(User.username == "badmin")),
        "usual_weight": 20,
        "practice_weight": 20,
        "exam_weight": 50,
        "pass_mark": 60,
        "requires_study_hours": "1",
        "report_min_chars": 1500,
    }
    response = client.post("/classes/new", form)
    assert "之和须为 100%" in response.get_data(as_text=True)
    response = client.post("/classes/new", form | {"exam_weight": 60})
    assert response.status_code == 302
    assert "第36期入党积极分子培训班" in client.get("/classes/").get_data(as_text=True)


def test_raising_the_capacity_moves_the_waiting_list_up_in_order(app, client, session, school):
    training_class = make_class(session, make_course(session, school), capacity=1)
    first = trainee(session, school, "first")
    second = trainee(session, school, "second")
    outstanding = trainee(session, school, "third", is_outstanding_class=True)
    fourth = trainee(session, school, "fourth")
    session.commit()
    for username in ("first", "second", "third", "fourth"):
        c = type(client)(app)
        c.login(username)
        c.post(f"/classes/{training_class.id}/apply")
    admin = type(client)(app)
    admin.login("badmin")
    for enrolment in session.scalars(select(Enrolment).order_by(Enrolment.id)).all():
        admin.post(f"/classes/enrolments/{enrolment.id}/decide", {"decision": "approve"})
    assert status_of(session, second, training_class) is EnrolmentStatus.WAITLISTED
    klass = reread(session).get(type(training_class), training_class.id)
    form = {
        name: getattr(klass, name)
        for name in (
            "course_id",
            "name",
            "starts_on",
            "ends_on",
            "enrol_opens_on",
            "enrol_closes_on",
            "usual_weight",
            "practice_weight",
            "exam_weight",
            "pass_mark",
            "report_min_chars",
        )
    }
    teacher = make_user(session, Role.INSTRUCTOR, school)
    session.commit()
    form |= {"capacity": 3, "head_teacher_id": teacher.id, "requires_study_hours": "1"}
    form["number"] = 35  # the factory numbers classes past the form's 999 in a long run
    saved = admin.post(f"/classes/{klass.id}/edit", {k: str(v) for k, v in form.items()})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    # Two more places: the outstanding trainee first, then the earlier application.
    assert status_of(session, outstanding, training_class) is EnrolmentStatus.APPROVED
    assert status_of(session, second, training_class) is EnrolmentStatus.APPROVED
    assert status_of(session, fourth, training_class) is EnrolmentStatus.WAITLISTED
    assert status_of(session, first, training_class) is EnrolmentStatus.APPROVED
