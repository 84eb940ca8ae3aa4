"""Historical stages are migrated by a school admin, marked, dated in order, and never over
a record the platform has judged."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates.imports.history import HISTORY_COLUMNS, import_history
from partyschool.candidates.models import Candidate, StageChange
from partyschool.candidates.rules import Stage
from partyschool.extensions import today
from partyschool.spreadsheets import read_table
from tests.factories import make_candidate, make_user, reread, school_level


def _csv(rows: list[dict], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def admin(session):
    admin = make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    return admin


def _migrate(session, admin, rows, encoding="utf-8"):
    table = read_table(_csv(rows, encoding), "历史档案.csv")
    return import_history(session, table, filename="历史档案.csv", actor=admin, today=today())


def test_stages_reached_before_the_platform_are_migrated_and_marked(session, school, admin):
    candidate = make_candidate(session, school, stage=Stage.APPLICANT, student_no="2019001")
    session.commit()
    row = {
        "学号": "2019001",
        "入党申请人": "2019-10-01",
        "入党积极分子": "2020-04-01",
        "发展对象": "2021-05-01",
        "预备党员": "2021-07-01",
    }
    result = _migrate(session, admin, [row], encoding="gb18030")
    session.commit()
    assert result.ok and result.updated == 1
    stored = reread(session).get(Candidate, candidate.id)
    assert stored.stage is Stage.PROBATIONARY
    assert [(c.stage, c.entered_on, c.is_migrated) for c in stored.stage_changes] == [
        (Stage.APPLICANT, date(2019, 10, 1), True),
        (Stage.ACTIVIST, date(2020, 4, 1), True),
        (Stage.CANDIDATE, date(2021, 5, 1), True),
        (Stage.PROBATIONARY, date(2021, 7, 1), True),
    ]
    assert {c.source_file for c in stored.stage_changes} == {"历史档案.csv"}
    reasons = session.scalars(
        select(AuditEvent.reason).where(AuditEvent.table_name == "stage_changes")
    ).all()
    assert "历史档案迁移：历史档案.csv" in reasons


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"入党积极分子": "2020-04-01", "发展对象": "2019-05-01"},
            "第 2 行「发展对象」：日期“2019-05-01”早于“入党积极分子”的日期",
        ),
        ({"发展对象": "2021-05-01"}, "第 2 行「发展对象」：缺少“入党积极分子”的日期，阶段不能跳过"),
        (
            {"入党积极分子": (today() + timedelta(days=1)).isoformat()},
            f"第 2 行「入党积极分子」：日期“{(today() + timedelta(days=1)).isoformat()}”晚于今天",
        ),
        ({"学号": "9999999"}, "第 2 行「学号」：找不到学号“9999999”，请先由分党校导入名单"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_migrated(session, school, admin, row, message):
    make_candidate(session, school, stage=Stage.APPLICANT, student_no="2019001")
    session.commit()
    before = session.scalar(select(StageChange.id).order_by(StageChange.id.desc()))
    result = _migrate(session, admin, [{"学号": "2019001", "入党申请人": "2019-10-01"} | row])
    assert not result.ok and [str(e) for e in result.errors] == [message]
    assert session.scalar(select(StageChange.id).order_by(StageChange.id.desc())) == before


def test_a_record_the_platform_has_judged_is_not_migrated(client, session, school, admin):
    candidate = make_candidate(session, school, stage=Stage.APPLICANT, student_no="2019001")
    candidate.stage_changes[0].ruleset = "wzu@2"
    session.commit()
    result = _migrate(session, admin, [{"学号": "2019001", "入党申请人": "2019-10-01"}])
    assert [str(e) for e in result.errors] == [
        "第 2 行「学号」：该学生的阶段已在本平台按规则变更，不能再迁移历史档案"
    ]


def test_only_a_school_admin_migrates(app, client, session, school, admin):
    organizer = session.scalar(select(type(admin)).where(type(admin).username == "org"))
    with pytest.raises(PermissionError):
        _migrate(session, organizer, [{"学号": "2019001", "入党申请人": "2019-10-01"}])
    client.login("org")
    assert client.get("/candidates/history").status_code == 403
    top = type(client)(app)
    top.login("top")
    assert "历史档案迁移" in top.get("/candidates/history").get_data(as_text=True)


def test_the_page_migrates_all_or_nothing(client, session, school, admin):
    make_candidate(session, school, stage=Stage.APPLICANT, student_no="2019001")
    session.commit()
    client.login("top")
    bad = _csv([{"学号": "2019001", "入党申请人": "2019-10-01", "发展对象": "2020-01-01"}])
    page = client.post(
        "/candidates/history", {"file": (io.BytesIO(bad), "历史.csv")}, follow_redirects=True
    ).get_data(as_text=True)
    assert "未导入任何数据" in page and "阶段不能跳过" in page
    good = _csv([{"学号": "2019001", "入党申请人": "2019-10-01", "入党积极分子": "2020-01-01"}])
    response = client.post("/candidates/history", {"file": (io.BytesIO(good), "历史.csv")})
    assert response.status_code == 302
    stored = reread(session).scalar(select(Candidate).where(Candidate.student_no == "2019001"))
    assert stored.stage is Stage.ACTIVIST
    record = client.get(f"/candidates/{stored.id}").get_data(as_text=True)
    assert "历史档案迁移（历史.csv）" in record


def test_a_migration_never_moves_a_stage_backward(session, school, admin):
    make_candidate(session, school, stage=Stage.APPLICANT, student_no="2019001")
    session.commit()
    row = {"学号": "2019001", "入党申请人": "2019-10-01", "入党积极分子": "2020-04-01"}
    assert _migrate(session, admin, [row]).ok
    session.commit()
    result = _migrate(session, admin, [{"学号": "2019001", "入党申请人": "2019-10-01"}])
    assert [str(e) for e in result.errors] == [
        "第 2 行「入党申请人」：档案中已是“入党积极分子”：迁移不能使阶段倒退"
    ]


def test_a_probationary_member_with_a_decision_here_is_not_migrated(client, session, school, admin):
    from partyschool.candidates.models import ProbationAction, ProbationDecision

    candidate = make_candidate(session, school, stage=Stage.PROBATIONARY, student_no="2019001")
    candidate.probation_decisions.append(
        ProbationDecision(
            action=ProbationAction.EXTEND,
            decided_on=today(),
            months=6,
            reason="延长",
            ruleset="wzu@2",
        )
    )
    session.commit()
    row = {
        "学号": "2019001",
        "入党申请人": "2019-10-01",
        "入党积极分子": "2020-04-01",
        "发展对象": "2021-04-01",
        "预备党员": "2022-04-01",
    }
    result = _migrate(session, admin, [row])
    assert [str(e) for e in result.errors] == [
        "第 2 行「学号」：该学生的阶段已在本平台按规则变更，不能再迁移历史档案"
    ]
