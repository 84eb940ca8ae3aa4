"""The trainee's journey in Chromium: apply to a class, be approved by the branch admin, study
a lesson and watch the hours grow."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Enrolment, EnrolmentStatus
from partyschool.accounts.models import Role
from tests.factories import (
    PASSWORD,
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_user,
    reread,
)

pytestmark = pytest.mark.browser


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_apply_be_approved_study(app, browser, live_server, session, monkeypatch):
    monkeypatch.setitem(app.config, "STUDY_HEARTBEAT_SECONDS", 1)
    school = make_branch_school(session, name="第一学区分党校")
    course = make_course(session, school, title="入党积极分子培训课程")
    course.lessons[0].title = "党的性质和宗旨"
    training_class = make_class(session, course, name="入党积极分子培训班", number=36)
    make_user(session, Role.BRANCH_ADMIN, school, username="fenxiao")
    user = make_user(session, Role.ACTIVIST, school, username="xueyuan", display_name="李同学")
    make_candidate(session, school, user=user, name="李同学")
    session.commit()

    trainee = browser.new_context(locale="zh-CN").new_page()
    sign_in(trainee, live_server, "xueyuan")
    trainee.click("nav >> text=培训班")
    trainee.click("text=第36期入党积极分子培训班")
    trainee.click("text=报名参加")
    assert "待审核" in trainee.get_by_test_id("enrolment-status").inner_text()

    admin = browser.new_context(locale="zh-CN").new_page()
    sign_in(admin, live_server, "fenxiao")
    admin.goto(f"{live_server}/classes/{training_class.id}")
    admin.locator("tr", has_text="李同学").locator("button:has-text('录取')").first.click()
    assert "已录取" in admin.locator("tr", has_text="李同学").inner_text()
    assert reread(session).query(Enrolment).one().status is EnrolmentStatus.APPROVED

    trainee.reload()
    assert "已录取" in trainee.get_by_test_id("enrolment-status").inner_text()
    trainee.goto(f"{live_server}/lessons/{course.lessons[0].id}")
    hours = trainee.get_by_test_id("lesson-time")
    # No wait_for_function: it evaluates a string, which the Content-Security-Policy forbids.
    expect(hours).to_have_attribute(
        "data-lesson-seconds", re.compile(r"^([3-9]|\d{2,})$"), timeout=15_000
    )
    assert int(hours.get_attribute("data-lesson-seconds")) >= 3
    trainee.context.close()
    admin.context.close()
