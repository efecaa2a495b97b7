"""Content-Security-Policy: on every response, strict, and every page lives within it.

Every routed URL (read from the URLconf) is fetched by alpha's officer and admin, the police
analyst, the platform admin, a signed-out visitor and a half-signed-in one. Each response
carries the policy; each HTML page has no inline script, event-handler attribute,
`javascript:` URL, <style> block or style attribute (the policy would block them). A real
browser then loads the pages and the API documentation and reports no violation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests.csp import inline_code

from .conftest import unverified_client
from .urlconf import routes

STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy header"
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_strict(response) -> None:
    policy = policy_of(response)
    path = response.request["PATH_INFO"]
    for name, allowed in STRICT.items():
        assert policy.get(name) == allowed, (path, name, policy.get(name))
    for name in ("script-src", "style-src", "default-src"):
        assert not policy[name] & {"'unsafe-inline'", "'unsafe-eval'", "*"}, (path, name)


def test_the_checker_finds_what_it_looks_for():
    page = (
        '<script>alert(1)</script><script src="/static/x.js"></script><style>p{}</style>'
        '<a href=" JaVa\tscript:alert(1)">x</a><button onclick="x()">b</button>'
        '<p style="color:red">p</p><svg><path fill="#000"/></svg>'
    )
    assert inline_code(page) == [
        "inline <script>",
        "<style> block",
        "<a href=javascript:…>",
        "<button onclick=…> handler",
        "<p style=…> attribute",
    ]


VERIFIED = ("officer", "delegation admin", "analyst", "platform admin")
# Routes whose GET only redirects, by design.
GET_REDIRECTS = {"set_language": "Django's language switch sends a GET straight back"}


def _walkers(world, alice, alpha_admin, analyst, platform_admin, as_user) -> dict[str, Client]:
    return {
        "officer": as_user(alice),
        "delegation admin": as_user(alpha_admin),
        "analyst": as_user(analyst),
        "platform admin": as_user(platform_admin),
        "signed out": Client(),
        "password only": unverified_client(alice),
        "password only, no authenticator": unverified_client(world.users["novice"]),
    }


def test_every_page_is_served_under_a_strict_policy_with_no_inline_code(
    world, alice, alpha_admin, analyst, platform_admin, as_user
):
    walkers = _walkers(world, alice, alpha_admin, analyst, platform_admin, as_user)
    statuses: dict[str, set[int]] = defaultdict(set)  # of the signed-in, verified roles
    rendered: set[str] = set()  # routes some walker got a 200 from
    problems: list[str] = []
    pages = 0
    all_routes = routes()
    for route in all_routes:
        url = world.url(route)
        for who, client in walkers.items():
            response = client.get(url)
            if who in VERIFIED:
                statuses[route.name].add(response.status_code)
            if response.status_code == 200:
                rendered.add(route.name)
            assert_strict(response)
            if response.get("Content-Type", "").startswith("text/html"):
                pages += 1
                html = response.content.decode()
                problems += [f"{url} ({who}): {p}" for p in inline_code(html)]
    assert not problems, "\n".join(problems)
    # Every route was really rendered (the ids fit), or it takes only POST.
    unrendered = [
        name
        for name, seen in statuses.items()
        if name not in rendered and seen != {405} and name not in GET_REDIRECTS
    ]
    assert not unrendered, {name: statuses[name] for name in unrendered}
    assert len(all_routes) > 90 and pages > 300


def test_api_docs_load_their_code_from_this_site_only(client, db):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert_strict(page)
    html = page.content.decode()
    assert not inline_code(html)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(scripts) == 3 and len(styles) == 2
    for url in scripts + styles:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # same origin: a path, not a host
    init = next(u for u in scripts if u.startswith("/api/docs/"))
    response = client.get(init)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()
    for url in scripts + styles:
        if url.startswith(settings.STATIC_URL):
            from django.contrib.staticfiles import finders

            assert finders.find(url.removeprefix(settings.STATIC_URL)), url


# --- in a real browser ----------------------------------------------------------------------


def _violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


@pytest.mark.django_db(transaction=True)
def test_pages_run_in_a_browser_without_a_single_csp_violation(
    live_server, csp_browser, world, alice, as_user
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser = csp_browser
    session = as_user(alice).cookies[settings.SESSION_COOKIE_NAME].value
    browser.get(live_server.url + "/healthz")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session, "path": "/"})

    # The log catches violations: a style injected by a script is refused and reported.
    browser.get(live_server.url + "/")
    browser.execute_script(
        "const s = document.createElement('style'); s.textContent = 'body{}';"
        "document.head.appendChild(s);"
    )
    assert _violations(browser), "the browser log did not report a CSP violation"

    checked = 0
    officer = as_user(alice)
    for route in routes():
        if route.is_api:
            continue
        url = world.url(route)
        response = officer.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            browser.get(live_server.url + url)
            checked += 1
    browser.get(live_server.url + "/api/docs/")
    # Swagger UI ran (its code is all from 'self') and drew the operations from the schema.
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    assert _violations(browser) == []
    assert checked > 30
