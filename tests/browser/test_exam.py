"""Take the demo exam in Chromium: answer, lose the network, reload, finish, see the result."""

import pytest
from sqlalchemy import func, select

from exams.models import Answer
from partyschool.app import demo
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
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    result = page.get_by_test_id("result")
    result.wait_for()
    assert "得分" in result.inner_text() and "待教师评阅" in result.inner_text()
    page.screenshot(path=str(ARTIFACTS / "exam-result.png"), full_page=True)
    context.close()
