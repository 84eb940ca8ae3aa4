"""The annual development plan (seed 000 §1, §4; seed 002 §7): set by a branch school, and
counted month by month from the stage changes on the records."""

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent, set_reason
from partyschool.candidates.models import StageChange
from partyschool.candidates.plans import services
from partyschool.candidates.plans.models import DevelopmentPlan
from partyschool.candidates.rules import Stage
from partyschool.extensions import today
from tests.app.test_workbench import count_queries
from tests.factories import make_branch_school, make_candidate, make_user, reread, school_level

YEAR = today().year - 1  # a whole year behind us: every date in it is a valid record date


def _entered(session, school, *changes: tuple[Stage, date]):
    """A candidate whose stage history is these changes, in order."""
    candidate = make_candidate(session, school, stage=changes[-1][0])
    candidate.stage_changes.clear()
    session.flush()
    for stage, on in changes:
        candidate.stage_changes.append(StageChange(stage=stage, entered_on=on))
    session.flush()
    return candidate


def _cells(page: str, month: int) -> dict[str, int]:
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', page, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r'data-col="([\w-]+)">(\d+)<', row)}


def _plan(client, school, year=None, **fields):
    year = year or today().year
    values = {"activists": "10", "candidates": "6", "members": "4"} | fields
    return client.post(f"/plans/{school.id}/{year}/edit", values, follow_redirects=True)


def test_each_month_counts_the_entries_into_each_stage_of_that_month(client, session, school):
    _entered(
        session, school, (Stage.APPLICANT, date(YEAR - 1, 9, 1)), (Stage.ACTIVIST, date(YEAR, 1, 1))
    )
    _entered(
        session,
        school,
        (Stage.ACTIVIST, date(YEAR - 1, 12, 31)),
        (Stage.CANDIDATE, date(YEAR, 12, 31)),
    )
    _entered(session, school, (Stage.ACTIVIST, date(YEAR + 1, 1, 1)))
    _entered(
        session,
        school,
        (Stage.CANDIDATE, date(YEAR, 1, 10)),
        (Stage.PROBATIONARY, date(YEAR, 3, 5)),
    )
    _entered(session, make_branch_school(session), (Stage.ACTIVIST, date(YEAR, 1, 5)))
    session.commit()
    client.login("org")
    page = client.get(f"/plans/{school.id}/{YEAR}").get_data(as_text=True)
    assert _cells(page, 1) == {
        "activist-month": 1,
        "activist-cumulative": 1,
        "candidate-month": 1,
        "candidate-cumulative": 1,
        "probationary-month": 0,
        "probationary-cumulative": 0,
    }
    assert _cells(page, 3)["probationary-month"] == 1
    december = _cells(page, 12)
    assert december["candidate-month"] == 1 and december["candidate-cumulative"] == 2
    assert december["activist-cumulative"] == 1  # not the one of the year before or after
    assert "本年度尚未制定发展计划" in page


def test_a_withdrawn_or_redated_stage_change_moves_the_figures(session, school):
    wrong = _entered(session, school, (Stage.ACTIVIST, date(YEAR, 2, 14)))
    moved = _entered(session, school, (Stage.ACTIVIST, date(YEAR, 12, 20)))
    session.commit()
    figures = services.progress(session, school, YEAR)
    assert figures.months[1].actual[Stage.ACTIVIST] == 1
    assert figures.totals[Stage.ACTIVIST] == 2
    # The record's door takes a mistaken fact off with a reason; the audit trail keeps it.
    set_reason(session, "录入错误")
    session.delete(wrong.stage_changes[0])
    moved.stage_changes[0].entered_on = date(YEAR + 1, 1, 2)
    session.commit()
    figures = services.progress(session, school, YEAR)
    assert figures.months[1].actual[Stage.ACTIVIST] == 0
    assert figures.months[11].actual[Stage.ACTIVIST] == 0
    assert figures.totals[Stage.ACTIVIST] == 0
    assert services.progress(session, school, YEAR + 1).totals[Stage.ACTIVIST] == 1


def test_a_branch_sets_its_plan_and_sees_the_share_done(client, session, school):
    this_year = today().year
    _entered(session, school, (Stage.ACTIVIST, date(this_year, 1, 1)))
    session.commit()
    client.login("org")
    page = _plan(client, school, note="第一季度集中培训").get_data(as_text=True)
    assert f"已保存{this_year}年度发展计划" in page
    summary = re.search(r'data-stage="activist">(.*?)</tr>', page, re.S).group(1)
    assert "<td>10</td><td>1</td><td>10%</td>" in summary
    plan = session.scalar(select(DevelopmentPlan))
    assert (plan.activists, plan.candidates, plan.members) == (10, 6, 4)
    # Adjusting needs a reason, which the audit trail keeps with the old values.
    assert "请填写调整原因" in _plan(client, school, activists="12").get_data(as_text=True)
    _plan(client, school, activists="12", note="第一季度集中培训", change_reason="学院增加名额")
    event = (
        reread(session)
        .scalars(
            select(AuditEvent)
            .where(AuditEvent.table_name == "development_plans")
            .order_by(AuditEvent.id)
        )
        .all()[-1]
    )
    assert (event.before, event.after, event.reason) == (
        {"activists": 10},
        {"activists": 12},
        "学院增加名额",
    )


def test_a_split_by_month_must_add_up_to_the_year(client, session, school):
    client.login("badmin")
    split = {"m1_activists": "4", "m6_activists": "5", "m3_members": "4", "m9_candidates": "6"}
    page = _plan(client, school, **split).get_data(as_text=True)
    assert "“培养入党积极分子”各月计划之和（9）与全年计划（10）不一致" in page
    assert 'value="5"' in page  # what was typed is kept
    assert session.scalar(select(func.count(DevelopmentPlan.id))) == 0
    _plan(client, school, **(split | {"m6_activists": "6"}))
    plan = reread(session).scalar(select(DevelopmentPlan))
    assert [(m.month, m.activists, m.candidates, m.members) for m in plan.months] == [
        (m, {1: 4, 6: 6}.get(m, 0), 6 if m == 9 else 0, 4 if m == 3 else 0) for m in range(1, 13)
    ]
    page = client.get(f"/plans/{school.id}/{today().year}").get_data(as_text=True)
    june = re.search(r'<tr data-month="6">(.*?)</tr>', page, re.S).group(1)
    assert "</strong>/6" in june and "</span>/10" in june  # done/planned, month and cumulative


def test_bad_targets_are_refused_in_chinese(client, session, school):
    client.login("org")
    assert "须为 0 至 100000 之间的整数" in _plan(client, school, members="-1").get_data(
        as_text=True
    )
    assert "请填写人数" in _plan(client, school, members="").get_data(as_text=True)
    too_old = _plan(client, school, year=today().year - 3).get_data(as_text=True)
    assert f"只能制定或调整 {today().year - 1} 至 {today().year + 1} 年的计划" in too_old
    assert session.scalar(select(func.count(DevelopmentPlan.id))) == 0


def test_one_plan_per_branch_per_year_is_held_by_the_database(session, school):
    session.add(
        DevelopmentPlan(party_school_id=school.id, year=YEAR, activists=1, candidates=1, members=1)
    )
    session.commit()
    session.add(
        DevelopmentPlan(party_school_id=school.id, year=YEAR, activists=2, candidates=2, members=2)
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_branch_neither_sees_nor_sets_another_branchs_plan(client, session, school):
    other = make_branch_school(session, name="第二学区分党校")
    make_user(session, Role.ORGANIZER, other, username="other_org")
    session.commit()
    client.login("other_org")
    assert client.get(f"/plans/{school.id}/{YEAR}").status_code == 404
    assert _plan(client, school).status_code == 404
    assert client.get(f"/plans/{school.id}/{YEAR}/export.xlsx").status_code == 404
    # Its own list leads to its own year; its export holds its own row only.
    landing = client.get("/plans/")
    assert landing.headers["Location"].endswith(f"/plans/{other.id}/{today().year}")
    rows = _sheet(client.get("/plans/export.xlsx").data)
    assert [r[0] for r in rows[1:]] == ["第二学区分党校"]
    assert session.scalar(select(func.count(DevelopmentPlan.id))) == 0


def test_the_school_admin_sees_and_exports_every_branch(app, client, session, school):
    graduate = make_branch_school(session, name="研究生分党校", kind="graduate")
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    _entered(session, graduate, (Stage.ACTIVIST, date(YEAR, 5, 1)))
    session.commit()
    client.login("org")
    _plan(client, school, year=YEAR)
    client = type(client)(app)
    client.login("top")
    page = client.get(f"/plans/?year={YEAR}").get_data(as_text=True)
    assert school.name in page and "研究生分党校" in page and "未制定" in page
    rows = _sheet(client.get(f"/plans/export.xlsx?year={YEAR}").data)
    by_school = {r[0]: r for r in rows[1:]}
    assert by_school[school.name][2:5] == (10, 0, "0%")
    assert by_school["研究生分党校"][2:5] == (None, 1, "—")
    assert client.get(f"/plans/{graduate.id}/{YEAR}").status_code == 200
    assert client.get(f"/plans/{school_level(session).id}/{YEAR}").status_code == 404


def test_the_branch_export_is_by_month_and_neutralizes_formulas(client, session, school):
    _entered(session, school, (Stage.ACTIVIST, date(YEAR, 7, 1)))
    school.name = "=cmd|' /C calc'!A0"
    session.commit()
    client.login("org")
    _plan(client, school, year=YEAR)
    data = client.get(f"/plans/{school.id}/{YEAR}/export.xlsx").data
    rows = _sheet(data)
    assert rows[7][:5] == ("7月", None, 1, 1, "10%")
    assert rows[13][:5] == ("全年", 10, 1, 1, "10%")
    sheet_xml = _raw(data)
    assert "<f>" not in sheet_xml


def test_the_page_costs_the_same_queries_however_many_candidates(app, client, session, school):
    _entered(session, school, (Stage.ACTIVIST, date(YEAR, 1, 1)))
    session.commit()
    client.login("org")
    few, _ = count_queries(app, client, f"/plans/{school.id}/{YEAR}")
    for day in range(1, 29):
        _entered(
            session,
            school,
            (Stage.ACTIVIST, date(YEAR, 2, day)),
            (Stage.CANDIDATE, date(YEAR, 3, day)),
        )
    session.commit()
    many, page = count_queries(app, client, f"/plans/{school.id}/{YEAR}")
    assert many == few
    assert _cells(page, 3)["candidate-cumulative"] == 28


def _sheet(data: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return list(workbook.active.iter_rows(values_only=True))


def _raw(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if "sheet" in n)


def test_the_workbenches_show_this_years_progress(app, client, session, school):
    other = make_branch_school(session, name="第二学区分党校")
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    _entered(session, school, (Stage.ACTIVIST, today()))
    session.commit()
    client.login("org")
    _plan(client, school)
    for username in ("org", "badmin"):
        home = type(client)(app)
        home.login(username)
        glance = _section(home.get("/").get_data(as_text=True), "plan-progress")
        assert school.name in glance and "1 / 10" in glance and "10%" in glance
        assert other.name not in glance
    admin = type(client)(app)
    admin.login("top")
    glance = _section(admin.get("/").get_data(as_text=True), "plan-progress")
    assert school.name in glance and other.name in glance and "未制定" in glance


def _section(page: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">(.*?)</section>', page, re.S).group(1)
