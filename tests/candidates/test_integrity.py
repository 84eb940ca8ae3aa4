"""A record changes only through its rules: dates in order, nothing in the future, every fact
correctable with a reason, standings never stale, and a bad rule set stops the start."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.app.factory import create_app
from partyschool.audit import AuditEvent
from partyschool.candidates import services
from partyschool.candidates.models import Candidate, Experience, Opinion, StageChange
from partyschool.candidates.rules import ExperienceKind, Stage
from partyschool.candidates.rulesets import DEFAULT, SWJTU_2004
from partyschool.extensions import today
from partyschool.organization.models import Building, Room
from tests.factories import make_candidate, make_ready_activist, make_user, reread, school_level


def _ready(session, school, **overrides):
    candidate = make_ready_activist(session, school, **overrides)
    session.commit()
    return candidate


def _fresh(session, candidate_id) -> Candidate:
    return reread(session).get(Candidate, candidate_id)


def _promote(client, candidate, on, **extra):
    return client.post(
        f"/candidates/{candidate.id}/promote",
        {"on": on.isoformat(), **extra},
        follow_redirects=True,
    ).get_data(as_text=True)


# --- stage dates ---------------------------------------------------------------------------


def test_a_promotion_dated_before_the_current_stage_is_refused(client, session, school):
    candidate = _ready(session, school)
    entered = candidate.stage_changes[-1].entered_on
    client.login("org")
    page = _promote(client, candidate, entered - timedelta(days=1))
    assert f"不能早于{entered.isoformat()}" in page
    assert _fresh(session, candidate.id).stage is Stage.ACTIVIST


def test_a_promotion_dated_in_the_future_is_refused(client, session, school):
    candidate = _ready(session, school)
    client.login("org")
    assert "不能晚于今天" in _promote(client, candidate, today() + timedelta(days=1))
    assert _fresh(session, candidate.id).stage is Stage.ACTIVIST


def test_a_backdated_promotion_cannot_meet_a_waiting_period(client, session, school):
    """Dated 2019, the one-year rule would be met at once; the date is refused instead."""
    candidate = make_candidate(session, school, stage=Stage.APPLICANT, days_in_stage=30)
    session.commit()
    admin = make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    client.login(admin.username)
    page = _promote(client, candidate, today().replace(year=2019), override_reason="补录")
    assert "不能早于" in page
    assert _fresh(session, candidate.id).stage is Stage.APPLICANT


def test_the_page_sends_the_stage_it_saw_and_a_second_click_changes_nothing(
    client, session, school
):
    candidate = _ready(session, school)
    client.login("org")
    _promote(client, candidate, today(), stage="activist")
    assert _fresh(session, candidate.id).stage is Stage.CANDIDATE
    page = _promote(client, candidate, today(), stage="activist")
    assert "已被他人变更" in page
    assert len(_fresh(session, candidate.id).stage_changes) == 2


def test_the_database_admits_one_change_per_stage(session, school):
    candidate = make_candidate(session, school)
    candidate.stage_changes.append(StageChange(stage=Stage.ACTIVIST, entered_on=today()))
    with pytest.raises(Exception, match="(?i)unique"):
        session.commit()
    session.rollback()


def test_each_change_names_the_rule_set_that_judged_it(client, session, school):
    candidate = _ready(session, school)
    client.login("org")
    _promote(client, candidate, today())
    change = _fresh(session, candidate.id).stage_changes[-1]
    assert change.ruleset == "wzu@2" and not change.is_migrated
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "依据的规则" in page and "wzu@2" in page


# --- fact dates, corrections and withdrawals -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        (
            "experience",
            {"kind": "volunteer", "description": "x", "evidence": "y", "occurred_on": "2099-01-01"},
            "时间（2099-01-01）不能晚于今天",
        ),
        (
            "talk",
            {"talked_on": "2099-01-01", "talker": "王老师", "summary": "谈话"},
            "谈话日期（2099-01-01）不能晚于今天",
        ),
        (
            "contact",
            {"kind": "contact", "person_name": "李", "assigned_on": "1900-01-01"},
            "早于1949-10-01",
        ),
    ],
)
def test_a_fact_dated_in_the_future_or_long_ago_is_refused(
    client, session, school, kind, form, message
):
    candidate = make_candidate(session, school)
    session.commit()
    client.login("org")
    response = client.post(f"/candidates/{candidate.id}/facts/{kind}", form)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert not getattr(_fresh(session, candidate.id), services.FACT_KINDS[kind].collection)


def test_a_rectification_dated_2099_is_refused(client, session, school):
    building = Building(name="1号楼", party_school=school)
    room = Room(building=building, number="101")
    session.add_all([building, room])
    session.commit()
    client.login("org")
    form = {"term": "2025-2026-1", "grade": "dirty", "rectified_on": "2099-01-01"}
    page = client.post(f"/candidates/rooms/{room.id}/ratings", form).get_data(as_text=True)
    assert "整改日期（2099-01-01）不能晚于今天" in page


def test_a_rating_without_a_note_is_saved(client, session, school):
    building = Building(name="1号楼", party_school=school)
    room = Room(building=building, number="101")
    session.add_all([building, room])
    session.commit()
    client.login("org")
    response = client.post(
        f"/candidates/rooms/{room.id}/ratings", {"term": "2025-2026-1", "grade": "good"}
    )
    assert response.status_code == 302


def test_a_fact_is_corrected_and_withdrawn_with_reasons_the_audit_keeps(client, session, school):
    candidate = _ready(session, school)
    fact = candidate.experiences[0]
    fact_id = fact.id
    client.login("org")
    url = f"/candidates/{candidate.id}/facts/experience/{fact_id}"
    form = client.get(url).get_data(as_text=True)
    assert "更正原因" in form and "撤回" in form

    refused = client.post(url, {"kind": fact.kind.value, "description": "改", "evidence": "y"})
    assert refused.status_code == 200  # no date, no reason: nothing changes
    corrected = {
        "kind": fact.kind.value,
        "description": "校运会志愿者",
        "evidence": "志愿者证书",
        "occurred_on": (today() - timedelta(days=3)).isoformat(),
        "is_verified": "y",
        "change_reason": "原记录日期有误",
    }
    assert client.post(url, corrected).status_code == 302
    stored = session.get(Experience, fact_id)
    session.refresh(stored)
    assert stored.description == "校运会志愿者"

    assert client.post(f"{url}/withdraw", {}).status_code == 302  # no reason: kept
    assert session.scalar(select(Experience.id).where(Experience.id == fact_id)) == fact_id
    assert client.post(f"{url}/withdraw", {"change_reason": "重复录入"}).status_code == 302
    session.rollback()
    session.expunge_all()
    assert session.scalar(select(Experience.id).where(Experience.id == fact_id)) is None

    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.table_name == "experiences", AuditEvent.row_id == fact_id
        )
    ).all()
    by_action = {e.action: e for e in events}
    assert by_action["update"].reason == "原记录日期有误"
    assert by_action["update"].before["description"] == "做了"
    assert by_action["delete"].reason == "重复录入"
    assert by_action["delete"].before["description"] == "校运会志愿者"


def test_an_experience_can_be_verified_later(client, session, school):
    candidate = make_candidate(session, school)
    candidate.experiences.append(
        Experience(
            kind=ExperienceKind.VOLUNTEER, description="x", evidence="y", occurred_on=today()
        )
    )
    session.commit()
    fact = candidate.experiences[0]
    client.login("org")
    form = {
        "kind": "volunteer",
        "description": "x",
        "evidence": "y",
        "occurred_on": today().isoformat(),
        "is_verified": "y",
        "change_reason": "已核实证书原件",
    }
    assert client.post(f"/candidates/{candidate.id}/facts/experience/{fact.id}", form).status_code
    assert reread(session).get(Experience, fact.id).is_verified


def test_another_candidates_fact_is_not_found(client, session, school):
    mine, other = make_candidate(session, school), _ready(session, school)
    client.login("org")
    fact = other.experiences[0]
    assert client.get(f"/candidates/{mine.id}/facts/experience/{fact.id}").status_code == 404


# --- opinions and academic standing ----------------------------------------------------------


def test_an_unfavourable_opinion_blocks_until_resolved(client, session, school):
    candidate = _ready(session, school)
    client.login("org")
    opinion = {
        "source": "teacher",
        "author": "张老师",
        "content": "学习态度不端正",
        "given_on": today().isoformat(),
    }
    client.post(f"/candidates/{candidate.id}/facts/opinion", opinion)
    stored = _fresh(session, candidate.id)
    assert stored.is_blocked and "学习态度不端正" in stored.blocking_summary
    [fact] = stored.opinions
    resolved = opinion | {"resolved_on": today().isoformat(), "change_reason": "已补考合格"}
    client.post(f"/candidates/{candidate.id}/facts/opinion/{fact.id}", resolved)
    assert not _fresh(session, candidate.id).is_blocked
    assert reread(session).get(Opinion, fact.id).resolved_on == today()


def test_unknown_academic_standing_is_not_meeting_requirements(client, session, school):
    candidate = _ready(session, school, is_academic_ok=None)
    client.login("org")
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "尚未由学院党组织确认" in page
    [assessment] = services.assess(session, [candidate], today(), DEFAULT)
    assert not assessment.promotion.eligible
    assert "学习态度和学习成绩" in assessment.promotion.blocking[0].message


# --- lists: totals and fresh standings -------------------------------------------------------


def test_the_school_admins_list_and_api_count_every_candidate(client, token, session, school):
    for _ in range(53):
        make_candidate(session, school)
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    client.login("top")
    page = client.get("/candidates/").get_data(as_text=True)
    assert "共 53 人，第 1/2 页" in page and "下一页" in page
    assert "共 53 人，第 2/2 页" in client.get("/candidates/?page=2").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token('top')}"}
    body = client.raw.get("/api/v1/candidates", headers=headers).get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (53, 2, 50)
    assert (
        len(client.raw.get("/api/v1/candidates?page=2", headers=headers).get_json()["items"]) == 3
    )


def test_a_waiting_period_that_ended_overnight_shows_in_the_list(client, session, school):
    candidate = _ready(session, school)
    with client.application.app_context():
        services.refresh(session, [candidate], today() - timedelta(days=400))  # a stale judgement
    candidate.is_blocked = True
    session.commit()
    client.login("org")
    page = client.get("/candidates/?status=eligible").get_data(as_text=True)
    assert candidate.name in page
    assert not _fresh(session, candidate.id).is_blocked


def test_switching_the_rule_set_rejudges_lists_and_exports(app, client, session, school):
    candidate = make_candidate(session, school)  # no experiences: blocked by seed 000's rules
    from partyschool.candidates.models import TrainingRecord

    candidate.trainings.append(
        TrainingRecord(target_stage=Stage.ACTIVIST, class_name="第1期", completed_on=today())
    )
    session.commit()
    client.login("org")
    assert candidate.name in client.get("/candidates/?status=blocked").get_data(as_text=True)
    app.config["ELIGIBILITY_RULESET"] = SWJTU_2004.id
    try:
        assert candidate.name in client.get("/candidates/?status=eligible").get_data(as_text=True)
        assert _fresh(session, candidate.id).evaluated_ruleset == "swjtu-2004@1"
    finally:
        app.config["ELIGIBILITY_RULESET"] = "wzu"


# --- the rule set is checked at start --------------------------------------------------------


def test_a_rule_set_with_an_unknown_kind_stops_the_start(tmp_path):
    data = SWJTU_2004.to_dict()
    data["steps"]["become_candidate"][0]["kind"] = "no_such_kind"
    path = tmp_path / "rules.json"
    import json

    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RuntimeError, match="规则集无效.*no_such_kind"):
        create_app({"SECRET_KEY": "x", "ELIGIBILITY_RULESET": str(path)})
    with pytest.raises(RuntimeError, match="规则集无效"):
        create_app({"SECRET_KEY": "x", "ELIGIBILITY_RULESET": str(tmp_path / "missing.json")})


# --- concurrency (SQLite serializes writers; PostgreSQL runs these truly in parallel) ------


def test_parallel_promotions_of_one_candidate_make_one_stage_change(app, session, school):
    """Eight organizers press 确定为发展对象 at once: one change, the others are told why."""
    import threading

    from tests.conftest import Client

    candidate = _ready(session, school)
    for n in range(8):
        make_user(session, Role.ORGANIZER, school, username=f"org{n}")
    session.commit()
    clients = [Client(app) for _ in range(8)]
    for n, c in enumerate(clients):
        c.login(f"org{n}")
    tokens = [c.csrf_token("/") for c in clients]
    form = {"on": today().isoformat(), "stage": "activist"}
    statuses = []

    def promote(c, token):
        response = c.raw.post(
            f"/candidates/{candidate.id}/promote", data={"csrf_token": token, **form}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=promote, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 8  # every request answered, none with a server error
    stored = _fresh(session, candidate.id)
    assert stored.stage is Stage.CANDIDATE
    assert [c.stage for c in stored.stage_changes] == [Stage.ACTIVIST, Stage.CANDIDATE]
    changes = session.scalars(
        select(AuditEvent).where(
            AuditEvent.table_name == "stage_changes", AuditEvent.action == "create"
        )
    ).all()
    assert [e.after["stage"] for e in changes] == ["activist", "candidate"]


def test_an_external_training_is_withdrawn_but_a_certificates_completion_is_not(
    client, session, school
):
    from partyschool.candidates.models import TrainingRecord

    candidate = _ready(session, school)  # its training is external (issuing body, evidence)
    external = candidate.trainings[0]
    platform = TrainingRecord(
        target_stage=Stage.CANDIDATE,
        class_name="第12期",
        completed_on=today(),
        certificate_serial="2026-D1-012-0001",
    )
    candidate.trainings.append(platform)
    session.commit()
    client.login("org")
    base = f"/candidates/{candidate.id}/facts/training"
    assert "撤回这条记录" in client.get(f"{base}/{external.id}").get_data(as_text=True)
    assert client.post(f"{base}/{external.id}", {}).status_code == 404  # corrected elsewhere
    assert client.get(f"/candidates/{candidate.id}/facts/training").status_code == 404
    page = client.post(
        f"{base}/{platform.id}/withdraw", {"change_reason": "误录"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "随证书撤销而撤回" in page
    client.post(f"{base}/{external.id}/withdraw", {"change_reason": "外单位证明不实"})
    serials = [t.certificate_serial for t in _fresh(session, candidate.id).trainings]
    assert serials == ["2026-D1-012-0001"]
