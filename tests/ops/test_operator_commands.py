"""The operator's commands: first platform admin, lost phone, a delegation switched off and on."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from embassies.models import ApiToken, User, Workspace
from embassies.services import api_token_create
from exchange.models import OperatorAction
from indicators.models import IPReport
from indicators.services import ip_report_submit_batch

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple 42"


def _run(*args, stdin: str = "") -> str:
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


def test_create_platform_admin_then_first_sign_in_enrols_the_authenticator(db):
    out = _run("create_platform_admin", "root@ops.test", "--password-stdin", stdin=PASSWORD + "\n")
    assert "root@ops.test created" in out and "/accounts/login/" in out
    user = User.objects.get(email="root@ops.test")
    assert user.is_platform_admin and user.workspace_id is None and not user.is_superuser
    assert not TOTPDevice.objects.filter(user=user).exists()
    browser = Client()
    response = browser.post(reverse("login"), {"username": "root@ops.test", "password": PASSWORD})
    assert response.status_code == 302
    # Anything else sends them to the second factor, which sends them to enrolment.
    page = browser.get(reverse("delegation_list"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("otp_enrol"))
    assert OperatorAction.objects.filter(
        action="platform_admin_created", subject="root@ops.test"
    ).exists()


def test_create_platform_admin_refuses_a_weak_password_and_a_taken_address(alice):
    with pytest.raises(CommandError):
        _run("create_platform_admin", "new@ops.test", "--password-stdin", stdin="short\n")
    with pytest.raises(CommandError, match="exists"):
        _run("create_platform_admin", alice.email, "--password-stdin", stdin=PASSWORD + "\n")
    assert not User.objects.filter(email="new@ops.test").exists()


def test_reset_second_factor_is_audited_and_forces_re_enrolment(alice, as_user):
    browser = as_user(alice)
    assert browser.get(reverse("home")).status_code == 200
    out = _run("reset_second_factor", alice.email, "--reason", "ticket 42: lost phone")
    assert "1 authenticator(s) removed" in out
    assert not TOTPDevice.objects.filter(user=alice).exists()
    # Signed out everywhere: the old session opens nothing.
    assert browser.get(reverse("home")).status_code == 302
    entry = OperatorAction.objects.get(action="second_factor_reset")
    assert entry.subject == alice.email and entry.reason == "ticket 42: lost phone"
    assert entry.details["devices_removed"] == 1 and entry.details["sessions_ended"] == 1


def test_deactivate_delegation_is_reversible_and_keeps_records_visible(
    alice, alpha_admin, analyst, as_user
):
    ip_report_submit_batch(
        actor=alice,
        rows=[{"row": 1, "address": "8.8.8.8", "seen_at": timezone.now(), "context": "chat"}],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    report = IPReport.objects.get()
    _token, key = api_token_create(user=alice, name="script", scope="read")
    browser = as_user(alice)
    out = _run("deactivate_delegation", alice.workspace.slug, "--reason", "embassy closed")
    assert "2 member(s) signed out" in out and "1 API token(s) revoked" in out
    alice.refresh_from_db()
    assert not alice.is_active and not Workspace.objects.get(pk=alice.workspace_id).is_active
    assert browser.get(reverse("home")).status_code == 302
    api = Client().get("/api/v1/ip-reports/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 401
    # The record stays, and its audience (the police) still sees it.
    assert IPReport.objects.visible_to(analyst).filter(pk=report.pk).exists()
    assert as_user(analyst).get(f"/api/v1/ip-reports/{report.pk}/").status_code == 200

    with pytest.raises(CommandError, match="already"):
        _run("deactivate_delegation", alice.workspace.slug, "--reason", "twice")
    out = _run(
        "deactivate_delegation", alice.workspace.slug, "--reason", "reopened", "--reactivate"
    )
    assert "reactivated with 2 member(s)" in out
    alice.refresh_from_db()
    alpha_admin.refresh_from_db()
    assert alice.is_active and alpha_admin.is_active
    assert Workspace.objects.get(pk=alice.workspace_id).is_active
    assert not ApiToken.objects.get(user=alice).is_active()  # revoked stays revoked
    assert as_user(alice).get(reverse("home")).status_code == 200
    assert list(
        OperatorAction.objects.filter(subject=alice.workspace.slug).values_list("action", flat=True)
    ) == ["delegation_reactivated", "delegation_deactivated"]


def test_import_compounds_exits_non_zero_when_nothing_was_imported(tmp_path, platform_admin):
    path = tmp_path / "bad.csv"
    path.write_text("compound,country,status\n,MM,active\n,TH,bogus\n")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_compounds", str(path), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_import_compounds_exit_code_from_the_shell(tmp_path, platform_admin):
    path = tmp_path / "bad.csv"
    path.write_text("compound,country,status\n,MM,active\n,TH,bogus\n")
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a separate process cannot share the in-memory SQLite test database")
    import os

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@"
        f"{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/"
        f"{connection.settings_dict['NAME']}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_compounds", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "nothing imported" in result.stderr
