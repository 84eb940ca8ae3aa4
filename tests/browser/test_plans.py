"""The graduate branch adjusts its annual plan and reads its 双向培养 files; the school admin
compares every branch — on a desktop and on a 390-px phone."""

import pytest
from playwright.sync_api import expect

from partyschool.app import demo
from partyschool.extensions import today

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _login(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_the_graduate_branch_adjusts_its_plan(page, live_server, demo_data, screenshot):
    _login(page, live_server, "grad_organizer")
    page.click("nav >> text=发展计划")
    expect(page.get_by_test_id("plan-title")).to_contain_text(f"{today().year}年度发展计划")
    members = page.locator("[data-testid=plan-summary] tr[data-stage=probationary]")
    expect(members).to_contain_text("3")
    expect(members).to_contain_text("33%")
    screenshot("plan-graduate")
    page.click("text=调整计划")
    page.fill("input[name=members]", "4")
    page.click("button:has-text('保存')")
    expect(page.locator(".flash-error, .error").first).to_contain_text("请填写调整原因")
    page.fill("input[name=change_reason]", "学院追加发展名额")
    page.click("button:has-text('保存')")
    expect(members).to_contain_text("25%")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(members).to_contain_text("25%")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot("plan-graduate-phone")
    page.click("text=调整计划")
    page.fill("input[aria-label='1月培养入党积极分子']", "6")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot("plan-edit-phone")


def test_the_two_way_archive_lists_filters_and_opens_a_file(
    page, live_server, demo_data, screenshot
):
    _login(page, live_server, "grad_organizer")
    page.click("nav >> text=双向培养")
    listing = page.get_by_test_id("twoway-list")
    expect(listing).to_contain_text("陈研")
    expect(listing).to_contain_text("周研")
    page.select_option("select[name=direction]", "to_scholar")
    page.click("text=筛选")
    expect(listing).not_to_contain_text("陈研")
    screenshot("twoway-list")
    page.set_viewport_size(PHONE)
    page.click("text=周研")
    expect(page.get_by_test_id("direction")).to_have_text("培养成学术骨干")
    expect(page.get_by_test_id("evaluations")).to_contain_text("优秀")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot("twoway-file-phone")


def test_the_school_admin_compares_every_branch(page, live_server, demo_data, screenshot):
    _login(page, live_server, "admin")
    page.click("nav >> text=发展计划")
    overview = page.get_by_test_id("plan-overview")
    expect(overview).to_contain_text("研究生分党校")
    expect(overview).to_contain_text("未制定")
    screenshot("plan-overview")
