from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from indicators import services as ip_services
from tests.browser import chromium_driver

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
    driver = chromium_driver(console_log=True)
    yield driver
    driver.quit()
