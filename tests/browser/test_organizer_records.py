"""An organizer finds a blocked candidate, reads why, records the missing fact, and sees the
candidate become eligible."""

from datetime import timedelta

import pytest

from partyschool.app import demo
from partyschool.extensions import today

pytestmark = pytest.mark.browser


def test_organizer_unblocks_a_candidate(page, live_server, demo_data, screenshot):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "organizer")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=发展档案")
    page.select_option("select[name=status]", "blocked")
    page.click("text=筛选")
    row = page.locator("tr[data-student-no='2021010107']")
    assert "学院楼栋（未公示）" in row.inner_text()
    screenshot("candidates-blocked")
    row.locator("a").click()
    decision = page.locator("[data-step=become_probationary]")
    assert "暂不符合" in decision.inner_text()
    assert "seed000.undergraduate_publicity" in decision.inner_text()
    page.click("text=记录公示")
    page.select_option("select[name=step]", "become_probationary")
    page.select_option("select[name=places]", ["学区", "学院楼栋"])
    page.fill("input[name=starts_on]", (today() - timedelta(days=10)).isoformat())
    page.fill("input[name=ends_on]", (today() - timedelta(days=3)).isoformat())
    page.select_option("select[name=outcome]", "passed")
    page.click("button:has-text('保存')")
    decision = page.locator("[data-step=become_probationary]")
    assert "符合条件" in decision.inner_text()
    screenshot("candidate-eligible")
    page.click("button:has-text('接收为预备党员')")
    assert "已变更为预备党员" in page.content()
