"""Production settings, read as a deployment reads them (a fresh process, DJANGO_ENV=production),
and the headers and cookies a browser then gets over HTTPS.

tests/exchange/test_settings.py runs `check --deploy` and the fail-loudly cases; this module
pins the values behind them, so that no edit quietly weakens one and still passes the check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.exchange.test_settings import PROD

ROOT = Path(__file__).resolve().parents[2]
YEAR = 365 * 24 * 3600

READ_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings as s
names = '''SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SESSION_COOKIE_HTTPONLY SESSION_COOKIE_SAMESITE
SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD SECURE_SSL_REDIRECT
SECURE_PROXY_SSL_HEADER SECURE_CONTENT_TYPE_NOSNIFF SECURE_REFERRER_POLICY X_FRAME_OPTIONS
SESSION_COOKIE_AGE SESSION_SAVE_EVERY_REQUEST SESSION_EXPIRE_AT_BROWSER_CLOSE
SESSION_ABSOLUTE_SECONDS AUTH_PASSWORD_VALIDATORS MIDDLEWARE INSTALLED_APPS REST_FRAMEWORK
CONTENT_SECURITY_POLICY CACHES DEBUG'''.split()
print(json.dumps({n: getattr(s, n) for n in names}, default=str))
"""

# Over HTTP, then over HTTPS (as the proxy reports it), with production settings.
HTTP_EXCHANGE = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

call_command("migrate", verbosity=0)
from embassies.services import user_create_with_totp
user_create_with_totp(email="p@x.test", password="a long enough pass phrase", workspace=None,
                      role=None, is_platform_admin=True)
out = {}
# No collectstatic here: serve asset URLs unhashed. Every security setting stays production's.
with override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}):
    plain = Client(HTTP_HOST="exchange.example")
    r = plain.get("/accounts/login/")
    out["http"] = [r.status_code, r.get("Location")]
    browser = Client(HTTP_HOST="exchange.example", HTTP_X_FORWARDED_PROTO="https")
    r = browser.get("/accounts/login/")
    out["https_headers"] = dict(r.headers)
    out["csrf_cookie"] = r.cookies["csrftoken"].output()
    r = browser.post("/accounts/login/", {"username": "p@x.test",
                                          "password": "a long enough pass phrase"})
    out["login"] = [r.status_code, r.get("Location")]
    out["session_cookie"] = r.cookies["sessionid"].output()
    r = browser.get("/")
    out["unverified_home"] = [r.status_code, r.get("Location")]
print(json.dumps(out))
"""


def _run(script: str, **extra: str) -> dict:
    skip = {"DJANGO_SETTINGS_MODULE", "DEBUG", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(PROD, DJANGO_SETTINGS_MODULE="exchange.settings", **extra)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def prod() -> dict:
    return _run(READ_SETTINGS)


def test_cookies_are_secure_http_only_and_same_site(prod):
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True
    assert prod["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")


def test_https_only_with_hsts_for_a_year_or_more(prod):
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= YEAR
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_framing_sniffing_and_referrers(prod):
    assert prod["X_FRAME_OPTIONS"] == "DENY"
    assert prod["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert prod["SECURE_REFERRER_POLICY"] == "same-origin"
    directives = prod["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert "csp.middleware.CSPMiddleware" in prod["MIDDLEWARE"]


def test_password_rules(prod):
    validators = {v["NAME"].rsplit(".", 1)[-1]: v for v in prod["AUTH_PASSWORD_VALIDATORS"]}
    assert set(validators) >= {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    assert validators["MinimumLengthValidator"]["OPTIONS"]["min_length"] >= 12


def test_sessions_end_when_idle_and_after_a_working_day(prod):
    assert prod["SESSION_COOKIE_AGE"] <= 30 * 60
    assert prod["SESSION_SAVE_EVERY_REQUEST"] is True  # idle time, not time since sign-in
    assert prod["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert prod["SESSION_ABSOLUTE_SECONDS"] <= 12 * 3600
    assert "embassies.middleware.SessionLifetimeMiddleware" in prod["MIDDLEWARE"]


def test_second_factor_and_api_defaults(prod):
    middleware = prod["MIDDLEWARE"]
    assert middleware.index("django_otp.middleware.OTPMiddleware") < middleware.index(
        "embassies.middleware.RequireTwoFactorMiddleware"
    )
    api = prod["REST_FRAMEWORK"]
    assert api["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "embassies.authentication.ApiTokenAuthentication",
        "embassies.authentication.VerifiedSessionAuthentication",
    ]
    assert "embassies.permissions.TokenScopePermission" in api["DEFAULT_PERMISSION_CLASSES"]
    assert {"anon", "user"} <= set(api["DEFAULT_THROTTLE_RATES"])
    assert "rest_framework.authtoken" not in prod["INSTALLED_APPS"]  # no plaintext keys


def test_a_shared_cache_from_cache_url():
    prod = _run(READ_SETTINGS, CACHE_URL="redis://redis:6379/1")
    cache = prod["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://redis:6379/1"
    # A dead cache costs a request a second, not a hang (throttling then lets it through).
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1


def test_what_a_browser_gets_in_production():
    out = _run(HTTP_EXCHANGE, DATABASE_URL="sqlite:///:memory:")
    assert out["http"] == [301, "https://exchange.example/accounts/login/"]
    headers = out["https_headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "script-src 'self';" in headers["Content-Security-Policy"] + ";"
    csrf = out["csrf_cookie"].lower()
    assert "; secure" in csrf and "samesite=lax" in csrf
    session = out["session_cookie"].lower()
    assert "; secure" in session and "; httponly" in session and "samesite=lax" in session
    assert "expires" not in session and "max-age" not in session  # ends with the browser
    assert out["login"] == [302, "/"]  # the password is right ...
    assert out["unverified_home"] == [302, "/accounts/verify/?next=/"]  # ... and opens nothing


@pytest.mark.parametrize(
    "password",
    ["short-pw-11", "password1234", "123456789012345", "alice.alpha.test"],
)
def test_weak_passwords_are_refused(password, db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from embassies.models import User

    user = User(email="alice.alpha.test@alpha.test", full_name="Alice Alpha")
    with pytest.raises(ValidationError):
        validate_password(password, user)
    validate_password("correct horse battery staple", user)
