"""In a real browser: a platform admin onboards a delegation, its admin joins with TOTP."""

import re
from base64 import b32decode

from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.embassies.factories import UserFactory
from tests.totp import code_for, code_for_key

PASSWORD = "correct horse battery staple"


def _fill(driver, name: str, value: str) -> None:
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def _open_user_menu(driver) -> None:
    """The account menu (members, delegations, tokens, sign out) opens from the header."""
    toggler = driver.find_element(By.CSS_SELECTOR, "header .navbar-toggler")
    if toggler.is_displayed():  # a narrow window: the menu button first
        toggler.click()
        WebDriverWait(driver, 5).until(
            lambda d: "show" in d.find_element(By.ID, "mainnav").get_attribute("class").split()
        )
    menu = driver.find_element(By.ID, "user-menu")
    WebDriverWait(driver, 5).until(lambda d: menu.is_displayed())
    menu.click()
    WebDriverWait(driver, 5).until(lambda d: menu.get_attribute("aria-expanded") == "true")


def _click_and_wait(driver, element) -> None:
    """Click, then wait until the browser has loaded the next page."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old_page))


def _submit(driver) -> None:
    _click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def test_onboarding_in_a_browser(live_server, browser, settings):
    settings.SITE_URL = live_server.url
    admin = UserFactory(email="root@platform.test", is_platform_admin=True)

    browser.get(live_server.url + "/")
    assert "/accounts/login/" in browser.current_url
    _fill(browser, "username", admin.email)
    _fill(browser, "password", PASSWORD)
    _submit(browser)
    assert "/accounts/verify/" in browser.current_url
    _fill(browser, "code", code_for(admin))
    _submit(browser)
    assert "Welcome" in browser.page_source

    _open_user_menu(browser)
    _click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Delegations"))
    _click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Onboard a delegation"))
    _fill(browser, "name", "Embassy of the Philippines")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("embassy")
    Select(browser.find_element(By.NAME, "country")).select_by_value("PH")
    _fill(browser, "admin_email", "consul@ph.example")
    _submit(browser)
    assert "is onboarded" in browser.page_source
    assert "consul@ph.example" in browser.page_source

    link = re.search(r"http://\S+/invite/\S+/", mail.outbox[-1].body).group(0)
    _open_user_menu(browser)
    _click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "header form button[type=submit]:not([name])"),
    )
    browser.get(link)
    assert "Join Embassy of the Philippines" in browser.page_source
    secret_key = browser.find_element(By.CSS_SELECTOR, "code.secret").text
    assert re.fullmatch(r"[A-Z2-7]{32}", secret_key)
    # What an authenticator app does with the key shown on the page.
    key_hex = b32decode(secret_key + "=" * (-len(secret_key) % 8)).hex()
    _fill(browser, "full_name", "Maria Santos")
    _fill(browser, "password1", PASSWORD)
    _fill(browser, "password2", PASSWORD)
    _fill(browser, "totp_code", code_for_key(key_hex))
    _submit(browser)
    assert "Your account and authenticator are set up" in browser.page_source
    _open_user_menu(browser)
    assert browser.find_element(By.LINK_TEXT, "Members").is_displayed()  # a delegation admin's menu

    # The language switch turns the page Thai.
    _click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "button[name=language][value=th]")
    )
    assert "ออกจากระบบ" in browser.page_source
