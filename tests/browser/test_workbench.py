"""Every role's workbench and the lists people act from read on a 390-px phone and on a
1366-px screen: the main items are there and no action sits off-screen."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_demo_accounts import sign_in
from tests.factories import PASSWORD, make_candidate, make_class, make_course, make_enrolment

pytestmark = pytest.mark.browser

WIDTHS = (390, 1366)
# The controls of a workbench list's action column.
ACTIONS = ", ".join(f"main .table-wrap td.action {tag}" for tag in ("a", "button", "label"))
# Per demo account: the workbench's main items, and the lists to open (path, action selector).
ROLES = {
    "activist": (
        ["current-class", "exam-window", "grade-certificate", "standing", "open-classes"],
        [
            ("/classes/", "tbody tr td:last-child"),
            ("/exams/mine", "tbody tr td:last-child a.button, tbody tr td:last-child li"),
            ("/my/reports", "tbody tr td:last-child a"),
            ("/certificates/mine", "tbody tr td:last-child a"),
            ("/study", "a.button, tbody tr td:last-child a"),
            ("link:学习进度", "tbody tr td:first-child a"),
        ],
    ),
    "teacher": (
        ["today-lectures", "to-review", "live-exams", "taught-classes"],
        [("/reports", "tbody tr td:last-child a"), ("link:学习进度", "tbody tr td:first-child")],
    ),
    "branch_admin": (
        ["enrolment-queue", "running-classes", "ending-classes"],
        [
            ("/classes/", "tbody tr td:first-child a"),
            ("link:录取", "#queue tbody tr td:first-child"),
        ],
    ),
    "organizer": (
        ["soon-eligible", "blocked-reasons", "volunteer-queue", "publicity-ending", "pipeline"],
        [("/candidates/", "tbody tr td:nth-child(2) a")],
    ),
    "admin": (["schools-side-by-side", "pipeline"], [("/candidates/", "tbody tr td a")]),
}


def assert_fits(page, width: int, where: str) -> None:
    """Nothing is wider than the screen, so nothing hides behind a sideways scroll."""
    overflow = page.evaluate(
        """() => Array.from(document.querySelectorAll('.table-wrap')).map(
              w => w.scrollWidth - w.clientWidth).concat(
              [document.documentElement.scrollWidth - window.innerWidth])"""
    )
    assert max(overflow) <= 1, (where, width, overflow)


def assert_in_view(page, selector: str, width: int, where: str) -> None:
    """The first element of `selector` lies horizontally inside the viewport."""
    element = page.locator(selector).first
    box = element.bounding_box()
    assert box is not None, (where, selector)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (where, width, box)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("username", ROLES)
def test_workbench_and_lists_fit_the_screen(browser, live_server, demo_data, username, width):
    items, lists = ROLES[username]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        sign_in(page, live_server, username)
        page.wait_for_selector('[data-testid="home-title"]')  # the sign-in's redirect landed
        for testid in items:
            assert page.get_by_test_id(testid).count() == 1, (username, testid)
        for action in page.locator(ACTIONS).all():
            box = action.bounding_box()
            assert box and box["x"] + box["width"] <= width + 1, (username, width, box)
        assert_fits(page, width, "home")
        page.screenshot(path=str(ARTIFACTS / f"workbench-{username}-{width}.png"), full_page=True)
        home = page.url
        for path, selector in lists:
            if path.startswith("link:"):  # a page reached from the workbench
                page.goto(home)
                path = page.locator(f"main a:has-text('{path[5:]}')").first.get_attribute("href")
            page.goto(f"{live_server}{path}")
            name = re.sub(r"[^\w-]+", "-", path.strip("/")) or "home"
            page.screenshot(
                path=str(ARTIFACTS / f"list-{username}-{name}-{width}.png"), full_page=True
            )
            assert_fits(page, width, path)
            if page.locator(selector).count():
                assert_in_view(page, selector, width, path)
    finally:
        context.close()


def test_a_class_list_of_people_searches_by_name_or_number(
    browser, live_server, app, session, school
):
    training_class = make_class(session, make_course(session, school))
    for name in ("王小明", "李小红", "王大力"):
        make_enrolment(session, training_class, make_candidate(session, school, name=name))
    session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "badmin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector('[data-testid="home-title"]')
        page.goto(f"{live_server}/classes/{training_class.id}")
        page.fill("input[placeholder='搜索姓名或学号']", "王")
        assert page.locator("#queue tbody tr:visible").count() == 2
        assert "显示 2 人" in page.inner_text("#queue")
        page.screenshot(path=str(ARTIFACTS / "list-class-queue-search-390.png"), full_page=True)
    finally:
        context.close()


SKIPPED = (".pdf", ".xlsx", ".zip", "/take", "/qr")


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_the_menu_fits_a_phone(browser, live_server, demo_data, username):
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server, username)
        page.wait_for_selector('[data-testid="home-title"]')
        links = page.eval_on_selector_all(
            "nav.nav a[href^='/'], main a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
        )
        for href in dict.fromkeys(links):
            if not any(part in href for part in SKIPPED):
                page.goto(live_server + href)
                assert_fits(page, 390, href)
    finally:
        context.close()
