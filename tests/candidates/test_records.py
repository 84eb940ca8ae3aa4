"""Organizers record facts; the engine gates stage changes; the audit trail keeps everything."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates import services
from partyschool.candidates.models import (
    Candidate,
    DormRating,
    Experience,
    TrainingRecord,
    Veto,
    VolunteerLog,
    VolunteerStatus,
)
from partyschool.candidates.rules import ExperienceKind, Level, Stage, VetoHolder
from partyschool.candidates.rulesets import DEFAULT, SWJTU_2004
from partyschool.extensions import today
from partyschool.organization.models import Building, Room
from tests.factories import (
    add_reports_and_assessments,
    make_branch_school,
    make_candidate,
    make_ready_activist,
    make_user,
    reread,
    school_level,
)


@pytest.fixture
def branch(session):
    school = make_branch_school(session, code="d1")
    organizer = make_user(session, Role.ORGANIZER, school, username="org")
    building = Building(name="1号楼", party_school=school)
    room = Room(building=building, number="101")
    session.add_all([building, room])
    session.commit()
    return school, organizer, room


def _ready_activist(session, school, room=None, **overrides):
    candidate = make_ready_activist(session, school, room=room, **overrides)
    session.commit()
    return candidate


def _fresh(session, candidate_id):
    return reread(session).get(Candidate, candidate_id)


def test_recording_the_missing_experience_makes_the_candidate_eligible(client, session, branch):
    school, organizer, room = branch
    candidate = make_candidate(session, school)
    for kind in (ExperienceKind.VOLUNTEER, ExperienceKind.SUMMER_PRACTICE):
        candidate.experiences.append(
            Experience(
                kind=kind, description="x", evidence="y", occurred_on=today(), is_verified=True
            )
        )
    candidate.trainings.append(
        TrainingRecord(target_stage=Stage.ACTIVIST, class_name="第1期", completed_on=today())
    )
    add_reports_and_assessments(candidate)
    session.commit()
    client.login("org")
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "seed000.experience_class_contribution" in page
    form = {
        "kind": "class_contribution",
        "description": "帮助困难同学",
        "evidence": "班级证明",
        "occurred_on": today().isoformat(),
        "is_verified": "y",
    }
    assert client.post(f"/candidates/{candidate.id}/facts/experience", form).status_code == 302
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "seed000.experience_class_contribution" not in page
    stored = _fresh(session, candidate.id)
    assert stored.next_step == "become_candidate" and not stored.is_blocked


def test_promotion_is_refused_with_every_reason(client, session, branch):
    school, organizer, room = branch
    candidate = make_candidate(session, school, days_in_stage=30)
    session.commit()
    client.login("org")
    response = client.post(
        f"/candidates/{candidate.id}/promote", {"on": today().isoformat()}, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "规则不允许变更阶段" in text
    assert "须满365天" in text and "培训" in text
    assert _fresh(session, candidate.id).stage is Stage.ACTIVIST


def test_promotion_when_eligible_records_date_and_organizer(client, session, branch):
    school, organizer, room = branch
    candidate = _ready_activist(session, school)
    client.login("org")
    on = today() - timedelta(days=1)
    response = client.post(f"/candidates/{candidate.id}/promote", {"on": on.isoformat()})
    assert response.status_code == 302
    stored = _fresh(session, candidate.id)
    assert stored.stage is Stage.CANDIDATE
    change = stored.stage_changes[-1]
    assert change.stage is Stage.CANDIDATE and change.entered_on == on
    assert change.recorded_by_id == organizer.id


def test_only_a_school_admin_overrides_and_the_reason_is_audited(app, client, session, branch):
    school, organizer, room = branch
    candidate = make_candidate(session, school, days_in_stage=10)
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    data = {"on": today().isoformat(), "override_reason": "经校党委研究同意"}
    client.login("org")
    client.post(f"/candidates/{candidate.id}/promote", data)
    assert _fresh(session, candidate.id).stage is Stage.ACTIVIST
    admin = type(client)(app)
    admin.login("top")
    admin.post(f"/candidates/{candidate.id}/promote", data)
    assert _fresh(session, candidate.id).stage is Stage.CANDIDATE
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.candidate_id == candidate.id, AuditEvent.reason == "经校党委研究同意"
        )
    ).all()
    assert events and {e.table_name for e in events} >= {"candidates", "stage_changes"}


def test_dirty_dorm_blocks_until_rectified(client, session, branch):
    school, organizer, room = branch
    candidate = _ready_activist(session, school, room=room)
    client.login("org")
    rating = {"term": "2025-2026-1", "grade": "dirty", "note": "检查不合格"}
    client.post(f"/candidates/rooms/{room.id}/ratings", rating)
    stored = _fresh(session, candidate.id)
    assert stored.is_blocked and "脏乱差" in stored.blocking_summary
    client.post(
        f"/candidates/rooms/{room.id}/ratings", rating | {"rectified_on": today().isoformat()}
    )
    assert not _fresh(session, candidate.id).is_blocked
    assert session.scalar(select(DormRating).where(DormRating.room_id == room.id)).rectified_on


def test_veto_blocks_until_lifted(client, session, branch):
    school, organizer, room = branch
    candidate = _ready_activist(session, school)
    client.login("org")
    client.post(
        f"/candidates/{candidate.id}/facts/veto",
        {
            "holder": "college",
            "holder_name": "学院党总支",
            "reason": "学业警示",
            "decided_on": today().isoformat(),
        },
    )
    assert _fresh(session, candidate.id).is_blocked
    veto = session.scalar(select(Veto))
    client.post(
        f"/candidates/{candidate.id}/vetoes/{veto.id}/lift",
        {"lifted_on": today().isoformat(), "lift_reason": "成绩已提高"},
    )
    assert not _fresh(session, candidate.id).is_blocked


def test_activist_logs_hours_and_organizer_approves(app, client, session, branch):
    school, organizer, room = branch
    user = make_user(session, Role.ACTIVIST, school, username="stu")
    candidate = make_candidate(session, school, stage=Stage.PROBATIONARY, user=user)
    session.commit()
    client.login("stu")
    page = client.get("/my/record").get_data(as_text=True)
    assert "预备党员" in page and "50" in page
    form = {"activity": "社区服务", "hours": "6", "served_on": today().isoformat()}
    assert client.post("/my/volunteer", form).status_code == 302
    future = form | {"served_on": (today() + timedelta(days=3)).isoformat()}
    assert "不能晚于今天" in client.post("/my/volunteer", future).get_data(as_text=True)
    log = session.scalar(select(VolunteerLog))
    assert log.status is VolunteerStatus.PENDING
    org = type(client)(app)
    org.login("org")
    org.post(f"/candidates/{candidate.id}/volunteer/{log.id}/review", {"decision": "approved"})
    assert reread(session).get(VolunteerLog, log.id).status is VolunteerStatus.APPROVED
    assert "已审核通过 6.0 小时" in client.get("/my/record").get_data(as_text=True)


def test_every_change_is_in_the_append_only_audit_trail(client, session, branch):
    school, organizer, room = branch
    candidate = make_candidate(session, school)
    session.commit()
    client.login("org")
    client.post(
        f"/candidates/{candidate.id}/standing",
        {
            "is_league_member": "y",
            "league_recommended_on": today().isoformat(),
            "academic_standing": "绩点 3.5",
            "is_academic_ok": "y",
        },
    )
    event = reread(session).scalar(
        select(AuditEvent).where(
            AuditEvent.table_name == "candidates",
            AuditEvent.action == "update",
            AuditEvent.actor_id == organizer.id,
        )
    )
    assert (
        event.before["academic_standing"] == "" and event.after["academic_standing"] == "绩点 3.5"
    )
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "绩点 3.5" in page and "修改档案信息" in page
    event.reason = "tampered"
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(PermissionError):
        session.flush()


def test_rule_set_is_configuration_not_code(app, client, session, branch):
    """Seed 002's rules need no three experiences: the same record is eligible under them."""
    school, organizer, room = branch
    candidate = make_candidate(session, school)
    candidate.trainings.append(
        TrainingRecord(target_stage=Stage.ACTIVIST, class_name="第1期", completed_on=today())
    )
    session.commit()
    client.login("org")
    url = f"/api/v1/candidates/{candidate.student_no}/eligibility"
    steps = {s["step"]: s for s in client.get(url).get_json()["steps"]}
    assert not steps["become_candidate"]["eligible"]
    app.config["ELIGIBILITY_RULESET"] = "swjtu-2004"
    try:
        body = client.get(url).get_json()
    finally:
        app.config["ELIGIBILITY_RULESET"] = "wzu"
    assert body["ruleset"] == "swjtu-2004"
    assert {s["step"]: s for s in body["steps"]}["become_candidate"]["eligible"]


def test_rule_set_from_a_json_file(app, client, session, branch, tmp_path):
    data = SWJTU_2004.to_dict() | {"id": "my-university", "name": "本校规则", "version": 3}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    school, organizer, room = branch
    candidate = make_candidate(session, school)
    session.commit()
    client.login("org")
    app.config["ELIGIBILITY_RULESET"] = str(path)
    try:
        body = client.get(f"/api/v1/candidates/{candidate.student_no}/eligibility").get_json()
    finally:
        app.config["ELIGIBILITY_RULESET"] = "wzu"
    assert (body["ruleset"], body["ruleset_version"]) == ("my-university", 3)


def test_veto_holder_depends_on_level(session, branch):
    """An apartment veto binds a graduate but not an undergraduate (seed 000 §1, §4)."""
    school, organizer, room = branch
    undergraduate = _ready_activist(session, school)
    graduate = _ready_activist(session, school, level=Level.GRADUATE)
    for candidate in (undergraduate, graduate):
        candidate.vetoes.append(
            Veto(
                holder=VetoHolder.APARTMENT, holder_name="公寓中心", reason="x", decided_on=today()
            )
        )
    session.commit()
    under, grad = services.assess(session, [undergraduate, graduate], today(), DEFAULT)
    assert under.promotion.eligible
    assert not grad.promotion.eligible
