"""The rules in force are shown rule by rule in Chinese; a school admin switches them from a
date (built in or the university's own, validated first); past decisions keep their version."""

import io
import json
from datetime import timedelta

from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.candidates import rule_kinds
from partyschool.candidates.models import RuleSetChoice
from partyschool.candidates.rules import RULE_KINDS, Stage
from partyschool.candidates.rulesets import DEFAULT, SWJTU_2004
from partyschool.extensions import today
from tests.factories import make_candidate, make_ready_activist, make_user, reread, school_level


def test_every_rule_kind_says_what_it_asks_in_chinese():
    assert set(rule_kinds.REQUIREMENTS) == set(RULE_KINDS)
    for ruleset in (DEFAULT, SWJTU_2004):
        for checks in ruleset.steps.values():
            for check in checks:
                assert rule_kinds.requirement(check.kind, check.params)


def test_the_rules_page_shows_the_rules_in_force_rule_by_rule(client, school):
    client.login("org")
    page = client.get("/candidates/rules").get_data(as_text=True)
    assert "现行规则：温州大学学区学生党员发展规则" in page and "wzu@2" in page
    assert "成为入党积极分子满 365 天" in page
    assert "具有经核实的“参加校内外志愿者服务”经历" in page or "经历" in page
    assert "学习态度和学习成绩经学院党组织确认符合要求" in page
    assert "更换发展规则" not in page  # only a school admin switches


def _admin(app, session):
    from tests.conftest import Client

    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    admin = Client(app)
    admin.login("top")
    return admin


def test_a_school_admin_switches_from_a_date_and_past_decisions_keep_their_version(
    app, client, session, school
):
    candidate = make_ready_activist(session, school)
    session.commit()
    client.login("org")
    client.post(f"/candidates/{candidate.id}/promote", {"on": today().isoformat()})
    admin = _admin(app, session)
    tomorrow = today() + timedelta(days=1)
    form = {
        "builtin": "swjtu-2004",
        "effective_from": tomorrow.isoformat(),
        "reason": "校发〔2026〕12号",
    }
    assert admin.post("/candidates/rules", form).status_code == 302
    page = admin.get("/candidates/rules").get_data(as_text=True)
    assert "待生效" in page and "wzu@2" in page  # tomorrow's rules are not today's
    form["effective_from"] = today().isoformat()
    admin.post("/candidates/rules", form)
    page = admin.get("/candidates/rules").get_data(as_text=True)
    assert "现行规则：西南交通大学" in page
    body = client.get(f"/api/v1/candidates/{candidate.student_no}/eligibility").get_json()
    assert (body["ruleset"], body["ruleset_version"]) == ("swjtu-2004", 1)
    reread(session)
    [_, promoted] = sorted(candidate.stage_changes, key=lambda c: c.id)
    assert promoted.stage is Stage.CANDIDATE and promoted.ruleset == "wzu@2"
    choices = session.scalars(select(RuleSetChoice)).all()
    assert {c.reason for c in choices} == {"校发〔2026〕12号"}


def test_a_backdated_switch_and_a_bad_file_are_refused(app, session, school):
    admin = _admin(app, session)
    yesterday = (today() - timedelta(days=1)).isoformat()
    page = admin.post(
        "/candidates/rules",
        {"builtin": "swjtu-2004", "effective_from": yesterday, "reason": "补录"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "生效日期不能早于今天" in page
    broken = SWJTU_2004.to_dict() | {"id": "ours", "version": 2}
    broken["steps"]["become_candidate"][0]["kind"] = "no_such_kind"
    upload = (io.BytesIO(json.dumps(broken).encode()), "rules.json")
    page = admin.post(
        "/candidates/rules",
        {"file": upload, "effective_from": today().isoformat(), "reason": "本校规则"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "规则集无效，未启用" in page and "no_such_kind" in page
    assert session.scalar(select(RuleSetChoice.id)) is None


def test_the_universitys_own_rule_set_is_uploaded_and_used(app, client, session, school):
    candidate = make_candidate(session, school)
    session.commit()
    ours = SWJTU_2004.to_dict() | {"id": "ours", "name": "本校发展规则", "version": 3}
    admin = _admin(app, session)
    upload = (io.BytesIO(json.dumps(ours, ensure_ascii=False).encode()), "rules.json")
    form = {"file": upload, "effective_from": today().isoformat(), "reason": "党委会通过"}
    assert admin.post("/candidates/rules", form).status_code == 302
    client.login("org")
    body = client.get(f"/api/v1/candidates/{candidate.student_no}/eligibility").get_json()
    assert (body["ruleset"], body["ruleset_version"]) == ("ours", 3)
    changed = ours | {"name": "改过的规则"}  # same id@version, other rules: refused
    upload = (io.BytesIO(json.dumps(changed, ensure_ascii=False).encode()), "rules.json")
    page = admin.post("/candidates/rules", form | {"file": upload}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "请为修改后的规则提高版本号" in page
