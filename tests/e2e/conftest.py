"""Headless Chromium for the end-to-end tests (see tests/browser.py)."""

import pytest

from tests.browser import chromium_driver


@pytest.fixture
def browser():
    driver = chromium_driver()
    yield driver
    driver.quit()
