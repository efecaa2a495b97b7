"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Skipped where Chromium is not installed; CI installs it (see .ci/run), and there a skip is a
failure (CI_TOOLS_REQUIRED).
"""

from __future__ import annotations

import os
import shutil

import pytest


def chromium_driver(*, console_log: bool = False):
    """A headless Chromium; with `console_log`, its console (where CSP violations are
    reported) can be read with `driver.get_log("browser")`."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        if os.environ.get("CI_TOOLS_REQUIRED"):
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
        # This machine's network is closed: no background connections, updates or sync.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=en",
    ):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(10)
    return driver
