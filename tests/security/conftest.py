from __future__ import annotations

import os
import shutil

import pytest
from django.core.cache import cache
from django.test import Client

from indicators import services as ip_services

from . import world as world_module


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Throttle counts live in the cache; the catalogue cache outlives rolled-back versions."""
    cache.clear()
    ip_services._catalogue_cache.clear()
    yield
    cache.clear()
    ip_services._catalogue_cache.clear()


@pytest.fixture
def world(alice, alpha_admin, bob, analyst, platform_admin, django_capture_on_commit_callbacks):
    return world_module.build(
        alice=alice,
        alpha_admin=alpha_admin,
        bob=bob,
        analyst=analyst,
        platform_admin=platform_admin,
        run_on_commit=django_capture_on_commit_callbacks,
    )


def unverified_client(user, **kwargs) -> Client:
    """Signed in with the password only: the second factor not passed yet."""
    client = Client(**kwargs)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def csp_browser():
    """Headless Chromium whose console log (where CSP violations are reported) can be read."""
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
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=en",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
