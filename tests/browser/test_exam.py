"""Take the demo exam in Chromium: answer, lose the network, reload, finish, see the result."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exams.models import Answer, Attempt, AttemptStatus, LateAnswer
from partyschool.app import demo
from partyschool.extensions import utcnow
from tests.browser.conftest import ARTIFACTS
from tests.factories import reread

pytestmark = pytest.mark.browser


def test_take_the_exam_through_a_reload_and_an_outage(
    browser, live_server, demo_data, session, screenshot
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "activist")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=我的考试")
    page.click("text=开始考试")
    first = page.locator("li[data-type=single]").first
    first.locator("input").first.check()
    page.wait_for_selector(".save-state.saved")
    # The network drops: the answer waits in the page, marked unsaved.
    context.set_offline(True)
    true_false = page.locator("li[data-type=true_false]").first
    true_false.locator("input[value=true]").check()
    page.wait_for_selector(".save-state.unsaved")
    assert "未保存" in page.locator(".save-state").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exam-offline.png"), full_page=True)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(".save-state.saved")
    assert reread(session).scalar(select(func.count(Answer.id))) == 2
    # A reload restores every answer from the server.
    page.reload()
    page.wait_for_selector("li[data-type=single]")
    assert page.locator("li[data-type=single]").first.locator("input").first.is_checked()
    assert page.locator("li[data-type=true_false]").first.locator("input[value=true]").is_checked()
    page.locator("li[data-type=essay] textarea").fill("为人民服务，做合格的共产党员。")
    page.wait_for_selector(".save-state.saved")
    # Saved: the essay loses its unsaved outline.
    assert page.locator("li[data-type=essay].unsaved").count() == 0
    page.click("#submit-exam")
    page.click("#confirm-submit-yes")
    result = page.get_by_test_id("result")
    result.wait_for()
    assert "得分" in result.inner_text() and "待教师评阅" in result.inner_text()
    # Submitted: the button is gone and no question looks unsaved.
    assert not page.locator("#submit-exam").is_visible()
    assert page.locator("li.unsaved").count() == 0
    page.screenshot(path=str(ARTIFACTS / "exam-result.png"), full_page=True)
    context.close()


def newest_attempt(session) -> Attempt:
    """The attempt the test just started (the demo holds others)."""
    return reread(session).scalar(select(Attempt).order_by(Attempt.id.desc()).limit(1))


def sign_in_and_start(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "activist")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/exams/mine")
    page.click("text=开始考试")
    page.wait_for_selector("li[data-type=single]")


def number_of(page, selector: str) -> int:
    """The question's number on the page (its place in the list, from 1)."""
    return page.evaluate(
        "s => Array.from(document.querySelectorAll('ol.questions > li')).indexOf("
        "document.querySelector(s)) + 1",
        selector,
    )


def test_a_failed_save_stops_the_submission_and_says_which(
    browser, live_server, demo_data, session, screenshot, page
):
    sign_in_and_start(page, live_server)
    # Every answer request fails, as when the server or a proxy answers with an error.
    page.route("**/answers/**", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    single = page.locator("li[data-type=single]").first
    single.locator("input").first.check()
    number = number_of(page, "li[data-type=single]")
    page.click("#submit-exam")
    page.click("#confirm-submit-yes")
    warning = page.get_by_test_id("unsaved-at-submit")
    warning.wait_for()
    assert f"第 {number} 题" in warning.inner_text() and "未能保存" in warning.inner_text()
    assert "尚未提交" in warning.inner_text()
    assert page.get_by_test_id("result").count() == 0
    screenshot("exam-failed-save-at-submit")
    attempt = newest_attempt(session)
    assert attempt.status is AttemptStatus.IN_PROGRESS
    # The network recovers: the answer goes out first, then the paper.
    page.unroute("**/answers/**")
    page.click("#submit-exam")
    page.click("#confirm-submit-yes")
    page.get_by_test_id("result").wait_for()
    attempt = newest_attempt(session)
    assert attempt.status is AttemptStatus.SUBMITTED
    assert [a.response for a in attempt.answers if a.response is not None] != []


def test_offline_across_the_deadline_keeps_the_answer_as_late(
    browser, live_server, demo_data, session
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_and_start(page, live_server)
    attempt = newest_attempt(session)
    attempt.deadline_at = utcnow() + timedelta(seconds=6)
    session.commit()
    page.reload()
    page.wait_for_selector("li[data-type=true_false]")
    context.set_offline(True)
    page.locator("li[data-type=true_false]").first.locator("input[value=true]").check()
    number = number_of(page, "li[data-type=true_false]")
    notice = page.get_by_test_id("offline-at-deadline")
    notice.wait_for(timeout=15000)
    text = page.locator("#exam").inner_text()
    assert "考试时间已到" in notice.inner_text() and "网络恢复后将自动交卷" in notice.inner_text()
    assert "Failed" not in text and "fetch" not in text
    page.screenshot(path=str(ARTIFACTS / "exam-offline-at-deadline.png"), full_page=True)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    late = page.get_by_test_id("late")
    late.wait_for(timeout=15000)
    assert "1 题在截止后才送达" in late.inner_text() and f"第 {number} 题" in late.inner_text()
    page.screenshot(path=str(ARTIFACTS / "exam-late-answer-result.png"), full_page=True)
    reread(session)
    kept = session.scalar(select(LateAnswer))
    assert kept is not None and kept.response is True
    assert newest_attempt(session).status is AttemptStatus.SUBMITTED
    context.close()


def test_the_navigator_and_the_unanswered_warning_on_a_phone(
    browser, live_server, demo_data, session
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in_and_start(page, live_server)
    total = page.locator("ol.questions > li").count()
    page.locator("li[data-type=single]").first.locator("input").first.check()
    page.wait_for_selector(".save-state.saved")
    number = number_of(page, "li[data-type=single]")
    links = page.locator("#navigator a")
    assert links.count() == total
    assert "answered" in links.nth(number - 1).get_attribute("class")
    assert page.locator("#navigator a.unanswered").count() == total - 1
    # The navigator fits the phone's width.
    box = page.locator("#navigator").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.click("#submit-exam")
    warning = page.get_by_test_id("unanswered")
    warning.wait_for()
    assert f"还有 {total - 1} 题未作答" in warning.inner_text()
    assert page.locator("#confirm-submit ul.unanswered li").count() == total - 1
    page.screenshot(path=str(ARTIFACTS / "exam-phone-unanswered.png"), full_page=True)
    # A link of the navigator takes the trainee to the question.
    links.nth(total - 1).click()
    assert page.locator("ol.questions > li").nth(total - 1).is_visible()
    assert newest_attempt(session).status is AttemptStatus.IN_PROGRESS
    context.close()


def test_the_trainee_sees_their_paper_and_class_grade(browser, live_server, demo_data, session):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in_and_start(page, live_server)
    page.locator("li[data-type=true_false]").first.locator("input[value=true]").check()
    page.wait_for_selector(".save-state.saved")
    page.click("#submit-exam")
    page.click("#confirm-submit-yes")
    page.get_by_test_id("result").wait_for()
    page.goto(f"{live_server}/exams/mine")
    page.click("text=查看答卷")
    review = page.get_by_test_id("review")
    review.wait_for()
    assert "正确" in page.get_by_test_id("my-answer").first.inner_text()
    policy = newest_attempt(session).exam.review_policy
    if policy != "answers_after_close":
        assert page.get_by_test_id("key").count() == 0
    page.screenshot(path=str(ARTIFACTS / "exam-trainee-review.png"), full_page=True)
    page.click(".page-head >> text=我的考试")
    page.click(".page-head >> text=我的成绩")
    grade = page.get_by_test_id("class-grade").first
    grade.wait_for()
    assert "结业成绩" in grade.inner_text() and "考试成绩" in grade.inner_text()
    page.screenshot(path=str(ARTIFACTS / "exam-trainee-grades.png"), full_page=True)
    context.close()
