"""Each demo account signs in through Chromium and lands on its own home page."""

import pytest

from partyschool.app import demo
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

HOME_TITLES = {
    "admin": "校党校管理",
    "branch_admin": "第一学区分党校管理",
    "teacher": "教师工作台",
    "organizer": "组织员工作台",
    "activist": "我的学习",
    "grad_organizer": "组织员工作台",
}


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize("username", HOME_TITLES)
def test_demo_account_sees_its_own_home(page, live_server, demo_data, screenshot, username):
    sign_in(page, live_server, username)
    assert page.get_by_test_id("home-title").inner_text() == HOME_TITLES[username]
    display_name = next(a[1] for a in demo.ACCOUNTS if a[0] == username)
    assert display_name in page.get_by_test_id("current-user").inner_text()
    screenshot(f"home-{username}")
    page.click("text=退出")
    assert page.url.startswith(f"{live_server}/login")


def test_grad_organizer_is_refused_the_first_district_pages(page, live_server, demo_data):
    sign_in(page, live_server, "grad_organizer")
    assert "第一学区" not in page.content()
    response = page.goto(f"{live_server}/admin/users")
    assert response.status == 403
    assert "没有权限" in page.content()


def test_layout_works_on_a_phone(browser, live_server, demo_data):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    phone = context.new_page()
    sign_in(phone, live_server, "branch_admin")
    phone.wait_for_selector('[data-testid="home-title"]')  # the home page, with its styles
    assert not phone.is_visible("nav.nav")  # folded behind the menu button
    phone.click("text=☰ 菜单")
    assert phone.is_visible("text=账号管理")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-menu.png"), full_page=True)
    context.close()
