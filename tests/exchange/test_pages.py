"""The base layout: English/Thai switch, local assets, clear error pages."""

from django.urls import reverse


def test_language_switch_to_thai_and_back(client):
    page = client.get(reverse("login"))
    assert "Sign in" in page.content.decode()
    response = client.post(reverse("set_language"), {"language": "th", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login"))
    body = page.content.decode()
    assert 'lang="th"' in body
    assert "เข้าสู่ระบบ" in body  # "Sign in"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_signed_in_pages_in_thai(alice, as_user):
    browser = as_user(alice)
    browser.post(reverse("set_language"), {"language": "th", "next": "/"})
    body = browser.get(reverse("home")).content.decode()
    assert "แดชบอร์ด" in body and "ออกจากระบบ" in body  # "Dashboard", "Sign out"


def test_stylesheet_is_served_locally(client):
    from django.contrib.staticfiles import finders

    assert finders.find("css/app.css")
    page = client.get(reverse("login"))
    assert '/static/css/app.css"' in page.content.decode()


def test_unknown_page_is_a_clear_404(alice, as_user):
    response = as_user(alice).get("/no/such/page/")
    assert response.status_code == 404
    assert "nothing here that you can see" in response.content.decode()


def test_seed_demo_is_idempotent_and_prints_the_cast(db, capsys):
    from django.core.management import call_command

    from embassies.models import Delegation, User

    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    assert Delegation.objects.count() == 7
    assert User.objects.filter(email="admin@demo.exchange", is_platform_admin=True).exists()
    assert User.objects.get(email="analyst@police.demo").is_police_analyst
    assert "admin@demo.exchange" in first and "demo-exchange-2026" in first
    call_command("demo_totp", "admin@demo.exchange")
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(code) == 6 and code.isdigit()


def test_thai_words_follow_their_meaning(alice, as_user):
    """One English word, two meanings, two Thai words (msgctxt): a victim's case history is
    not a criminal case (คดี)."""
    from tests.victims.factories import victim

    record = victim(alice)
    browser = as_user(alice)
    browser.post(reverse("set_language"), {"language": "th", "next": "/"})
    body = browser.get(reverse("victims:detail", args=[record.pk])).content.decode()
    assert "<h2>ข้อมูลการช่วยเหลือ</h2>" in body
    assert "<h2>คดี</h2>" not in body
