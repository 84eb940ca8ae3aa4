"""The lists of people search by name or student number; the school level filters by branch;
the record page offers only the actions that can succeed."""

from partyschool.accounts.models import Role
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_ready_activist,
    make_user,
    school_level,
)


def test_candidates_search_by_name_or_number_and_count_right(client, session, school):
    make_candidate(session, school, name="王小明", student_no="2023000001")
    make_candidate(session, school, name="李小红", student_no="2023000002")
    make_candidate(session, school, name="王大力", student_no="2024000003")
    make_candidate(session, school, name="百分_号", student_no="2024000004")
    session.commit()
    client.login("org")
    by_name = client.get("/candidates/?q=王").get_data(as_text=True)
    assert "王小明" in by_name and "王大力" in by_name and "李小红" not in by_name
    assert "共 2 人" in by_name
    by_number = client.get("/candidates/?q=2023000002").get_data(as_text=True)
    assert "李小红" in by_number and "共 1 人" in by_number
    wildcard = client.get("/candidates/?q=_").get_data(as_text=True)
    assert "共 1 人" in wildcard


def test_school_level_filters_by_branch_and_sees_the_column(client, session):
    first = make_branch_school(session, name="第一学区分党校")
    second = make_branch_school(session, name="研究生分党校")
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="sadmin")
    make_candidate(session, first, name="甲同学")
    make_candidate(session, second, name="乙同学")
    session.commit()
    client.login("sadmin")
    everyone = client.get("/candidates/").get_data(as_text=True)
    assert "<th>分党校</th>" in everyone and "共 2 人" in everyone
    only_second = client.get(f"/candidates/?school_id={second.id}").get_data(as_text=True)
    assert "乙同学" in only_second and "甲同学" not in only_second and "共 1 人" in only_second


def test_accounts_search_by_name(client, session, school):
    make_user(session, Role.INSTRUCTOR, school, username="teacher1", display_name="周老师")
    make_user(session, Role.INSTRUCTOR, school, username="teacher2", display_name="吴老师")
    session.commit()
    client.login("badmin")
    page = client.get("/admin/users?q=周").get_data(as_text=True)
    assert "周老师" in page and "吴老师" not in page and "共 1 个账号" in page


def test_promote_button_is_not_red_and_active_when_blocked(client, session, school):
    blocked = make_candidate(session, school, name="受阻者", days_in_stage=10)
    session.commit()
    client.login("org")
    page = client.get(f"/candidates/{blocked.id}").get_data(as_text=True)
    button = page[page.index('data-testid="promote"') - 80 : page.index('data-testid="promote"')]
    assert "disabled" in button and "primary" not in button


def test_the_list_filters_by_kind_of_blocking_reason(client, session, school):
    make_candidate(session, school, name="等待者", days_in_stage=10)
    make_ready_activist(session, school, name="合格者")
    session.commit()
    client.login("org")
    waiting = client.get("/candidates/?reason=waiting").get_data(as_text=True)
    assert "等待者" in waiting and "合格者" not in waiting and "共 1 人" in waiting
    dorm = client.get("/candidates/?reason=dorm").get_data(as_text=True)
    assert "等待者" not in dorm and "共 0 人" in dorm
