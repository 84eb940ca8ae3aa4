"""On a 390-px phone: an activist hands in a thought report, their cultivation contact (a
teacher with an account) comments it, and the activist reads the comment."""

import pytest
from playwright.sync_api import expect

from partyschool.accounts.models import Role
from partyschool.candidates.models import Contact, ContactKind
from partyschool.extensions import today
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_workbench import assert_fits
from tests.factories import PASSWORD, make_branch_school, make_candidate, make_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def screenshot(page, name: str) -> None:
    """Save the whole page under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(browser, live_server, username: str):
    """A phone-sized browser signed in as `username`."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("body")).not_to_contain_text("用户名或密码")
    return context, page


def test_report_from_the_phone_commented_by_the_contact(browser, live_server, session):
    school = make_branch_school(session)
    student = make_user(session, Role.ACTIVIST, school, username="phone_student")
    teacher = make_user(session, Role.INSTRUCTOR, school, username="contact_teacher")
    teacher.display_name = "刘老师"
    candidate = make_candidate(session, school, user=student, name="王䶮", days_in_stage=200)
    candidate.contacts.append(
        Contact(
            kind=ContactKind.CONTACT,
            person_name="刘老师",
            assigned_on=today(),
            user_id=teacher.id,
        )
    )
    session.commit()

    context, page = sign_in(browser, live_server, "phone_student")
    page.goto(f"{live_server}/my/thought-reports")
    expect(page.get_by_test_id("reports-due")).to_contain_text("缺少思想汇报")
    page.fill("input[name=title]", "第三季度思想汇报")
    page.fill("textarea[name=body]", "本季度我认真学习了党章，体会到全心全意为人民服务的宗旨。")
    assert_fits(page, PHONE["width"], "submit form")
    screenshot(page, "thought-report-submit-390")
    page.get_by_role("button", name="递交").click()
    expect(page.locator("body")).to_contain_text("思想汇报已递交")
    expect(page.get_by_test_id("comments")).to_contain_text("尚未批阅")
    report_url = page.url
    context.close()

    context, page = sign_in(browser, live_server, "contact_teacher")
    page.goto(f"{live_server}/thought-reports/")
    page.get_by_role("link", name="第三季度思想汇报").click()
    expect(page.get_by_test_id("report-body")).to_contain_text("全心全意为人民服务")
    page.fill("textarea[name=text]", "体会真切，望结合专业学习继续努力。")
    assert_fits(page, PHONE["width"], "comment form")
    page.get_by_role("button", name="提交批阅意见").click()
    expect(page.get_by_test_id("comments")).to_contain_text("体会真切")
    screenshot(page, "thought-report-commented-390")
    # The contact also writes this half-year's 考察意见 from the phone.
    page.get_by_role("link", name="返回王䶮的思想汇报与考察").click()
    page.fill("textarea[name=content]", "学习认真，乐于助人，群众基础较好。")
    page.get_by_role("button", name="保存考察意见").click()
    expect(page.locator("body")).to_contain_text("半年考察意见已保存")
    expect(page.locator("table").last).to_contain_text("学习认真，乐于助人")
    assert_fits(page, PHONE["width"], "assessments")
    screenshot(page, "thought-report-assessment-390")
    context.close()

    context, page = sign_in(browser, live_server, "phone_student")
    page.goto(report_url)
    expect(page.get_by_test_id("comments")).to_contain_text("体会真切，望结合专业学习继续努力。")
    expect(page.get_by_test_id("comments")).to_contain_text("刘老师")
    expect(page.locator("textarea[name=text]")).to_have_count(0)  # the activist cannot comment
    page.goto(f"{live_server}/my/thought-reports")
    expect(page.locator("body")).to_contain_text("已批阅 1 条")
    assert_fits(page, PHONE["width"], "my reports")
    screenshot(page, "thought-report-mine-390")
    context.close()
