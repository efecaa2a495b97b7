"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Skipped where Chromium is not installed; CI installs it (see .ci/run).
"""

import os
import shutil

import pytest


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        if os.environ.get("CI_TOOLS_REQUIRED"):  # CI installs Chromium: a skip there is a failure
            pytest.fail("CI_TOOLS_REQUIRED is set but chromium/chromedriver are missing")
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=en",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
