"""Under the Content-Security-Policy (no inline scripts), the behaviour moved out of the
templates into static/js/site.js still works, and Chromium reports no violation."""

import pytest
from sqlalchemy import select

from courses.models import Course
from tests.browser.test_demo_accounts import sign_in

pytestmark = pytest.mark.browser


def test_filters_and_confirmations_work_without_inline_scripts(
    page, live_server, demo_data, session
):
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/users")
    page.select_option("select[name=role]", "organizer")  # submits the filter by itself
    page.wait_for_url("**/admin/users?*role=organizer")
    assert "组织员" in page.locator("tbody").inner_text()

    course_id = session.scalar(select(Course.id).order_by(Course.id))
    page.goto(f"{live_server}/courses/{course_id}")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('删除课程')")
    assert asked == ["确定删除此课程及其全部课时和附件吗？"]
    assert page.url == f"{live_server}/courses/{course_id}"  # dismissed: nothing was sent
    assert violations == []
