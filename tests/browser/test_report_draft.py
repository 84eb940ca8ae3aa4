"""A reading report being written survives a closed tab: the browser keeps a draft."""

import pytest
from playwright.sync_api import expect

from partyschool.accounts.models import Role
from tests.factories import (
    PASSWORD,
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_user,
)

pytestmark = pytest.mark.browser


def test_the_report_survives_a_closed_tab(browser, live_server, session):
    school = make_branch_school(session)
    training_class = make_class(session, make_course(session, school), report_min_chars=1000)
    user = make_user(session, Role.ACTIVIST, school, username="writer")
    make_enrolment(session, training_class, make_candidate(session, school, user=user))
    session.commit()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "writer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    url = f"{live_server}/classes/{training_class.id}/report"
    page.goto(url)
    body = "坚定理想信念，" * 215  # 1,505 characters
    page.fill("textarea[name=text]", body)
    # Not wait_for_function: it evaluates a string, which the Content-Security-Policy forbids.
    expect(page.locator("#report-draft")).to_contain_text("草稿已保存在本浏览器")
    page.close()  # the tab is gone, nothing was submitted
    again = context.new_page()
    again.goto(url)
    assert again.input_value("textarea[name=text]") == body
    assert "已恢复" in again.get_by_test_id("report-draft").inner_text()
    # On demand the draft goes to the server too, for another device.
    again.click("[data-testid=save-draft]")
    again.wait_for_selector("[data-testid=server-draft]")
    other = browser.new_context(locale="zh-CN").new_page()
    other.goto(f"{live_server}/login")
    other.fill("input[name=username]", "writer")
    other.fill("input[name=password]", PASSWORD)
    other.click("button[type=submit]")
    other.goto(url)
    assert other.input_value("textarea[name=text]") == body
    other.context.close()
    context.close()
