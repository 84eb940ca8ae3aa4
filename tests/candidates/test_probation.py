"""延长预备期 and 取消预备党员资格: stage decisions through the same door as promotions, on the
record and the 公示 (seed 000 §3)."""

from datetime import timedelta

from sqlalchemy import select

from partyschool.audit import AuditEvent
from partyschool.candidates.models import Candidate, PublicityNotice
from partyschool.candidates.rules import Stage, Step
from partyschool.extensions import today
from tests.factories import make_candidate, reread


def _probationary(session, school, days=400):
    candidate = make_candidate(session, school, stage=Stage.PROBATIONARY, days_in_stage=days)
    session.commit()
    return candidate


def _decide(client, candidate, **form):
    values = {"decided_on": today().isoformat(), "reason": "考察期间表现欠佳"} | form
    return client.post(
        f"/candidates/{candidate.id}/probation", values, follow_redirects=True
    ).get_data(as_text=True)


def _confirm_reasons(client, candidate) -> list[str]:
    body = client.get(f"/api/v1/candidates/{candidate.student_no}/eligibility").get_json()
    [confirm] = [s for s in body["steps"] if s["step"] == "confirm"]
    return [r["message"] for r in confirm["reasons"] if r["blocking"]]


def test_an_extension_lengthens_the_wait_and_is_on_the_record(client, session, school):
    candidate = _probationary(session, school)
    client.login("org")
    assert not any("满365天" in m for m in _confirm_reasons(client, candidate))
    page = _decide(client, candidate, action="extend", months="6")
    assert "已记录：延长预备期" in page
    assert any("含延长预备期182天" in m for m in _confirm_reasons(client, candidate))
    record = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "延长预备期 6 个月" in record and "考察期间表现欠佳" in record and "wzu@2" in record
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.table_name == "probation_decisions")
    ).all()
    assert [e.reason for e in events] == ["考察期间表现欠佳"]


def test_extensions_add_up_to_a_year_at_most(client, session, school):
    candidate = _probationary(session, school)
    client.login("org")
    _decide(client, candidate, action="extend", months="8")
    assert "累计不超过一年" in _decide(client, candidate, action="extend", months="6")
    assert len(reread(session).get(Candidate, candidate.id).probation_decisions) == 1


def test_a_cancellation_ends_the_way_on(client, session, school):
    candidate = _probationary(session, school)
    client.login("org")
    _decide(client, candidate, action="cancel")
    assert any("取消预备党员资格" in m for m in _confirm_reasons(client, candidate))
    assert "已取消预备党员资格" in _decide(client, candidate, action="extend", months="3")
    page = client.post(
        f"/candidates/{candidate.id}/promote",
        {"on": today().isoformat(), "stage": "probationary"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "规则不允许变更阶段" in page
    assert reread(session).get(Candidate, candidate.id).stage is Stage.PROBATIONARY


def test_a_decision_is_dated_within_the_probation(client, session, school):
    candidate = _probationary(session, school, days=10)
    client.login("org")
    early = (today() - timedelta(days=30)).isoformat()
    assert "不能早于" in _decide(client, candidate, action="cancel", decided_on=early)
    late = (today() + timedelta(days=1)).isoformat()
    assert "不能晚于今天" in _decide(client, candidate, action="cancel", decided_on=late)
    activist = make_candidate(session, school)
    session.commit()
    assert "只有预备党员" in _decide(client, activist, action="cancel")


def test_the_confirmation_publicity_shows_the_decision(client, session, school):
    candidate = _probationary(session, school)
    candidate.publicity_notices.append(
        PublicityNotice(
            step=Step.CONFIRM,
            places=["学区"],
            starts_on=today() - timedelta(days=1),
            ends_on=today() + timedelta(days=5),
        )
    )
    session.commit()
    client.login("org")
    _decide(client, candidate, action="extend", months="6")
    page = client.get(f"/candidates/publicity?step=confirm&on={today()}").get_data(as_text=True)
    assert candidate.name in page and "延长预备期 6 个月" in page
