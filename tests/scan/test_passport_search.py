"""A passport search never puts the number in a URL (found by the plaintext scan).

The search page used `<form method="get">` and the API `GET /api/v1/victims/?passport=`: the
number travelled in the query string, which gunicorn, proxies and browsers write to their
logs and history in plain text. The page now posts the number, and the API has
`POST /api/v1/victims/search/` with the number in the body.
"""

from __future__ import annotations

from django.urls import reverse

from embassies.choices import ApiTokenScope
from tests.embassies.factories import api_key
from tests.victims.factories import PASSPORT, victim
from victims.choices import AccessAction
from victims.models import AccessEvent


def test_the_search_page_posts_the_number_and_audits_each_hit(as_user, alice, bob):
    record = victim(alice)
    page = as_user(alice).get(reverse("victims:search"))
    assert b'<form method="post"' in page.content
    found = as_user(alice).post(reverse("victims:search"), {"passport": "p1234-567x"})
    assert record.reference.encode() in found.content
    hits = AccessEvent.objects.filter(action=AccessAction.SEARCH_HIT, record=record)
    assert hits.count() == 1
    miss = as_user(bob).post(reverse("victims:search"), {"passport": PASSPORT})
    assert record.reference.encode() not in miss.content  # outside bob's audience
    assert hits.count() == 1


def test_the_api_searches_with_the_number_in_the_body(client, alice, bob):
    record = victim(alice)
    url = "/api/v1/victims/search/"
    mine = client.post(
        url,
        {"passport": "P 1234-567 x"},
        content_type="application/json",
        headers={"Authorization": f"Token {api_key(alice)}"},
    )
    assert mine.status_code == 200
    assert [r["id"] for r in mine.json()] == [record.pk]
    assert AccessEvent.objects.filter(action=AccessAction.SEARCH_HIT, record=record).exists()
    theirs = client.post(
        url,
        {"passport": PASSPORT},
        content_type="application/json",
        headers={"Authorization": f"Token {api_key(bob)}"},
    )
    assert theirs.status_code == 200 and theirs.json() == []
    empty = client.post(
        url, {}, content_type="application/json", headers={"Authorization": f"Token {api_key(bob)}"}
    )
    assert empty.status_code == 400 and "passport" in empty.json()


def test_a_read_token_may_search_but_still_not_write(client, alice):
    record = victim(alice)
    read = {"Authorization": f"Token {api_key(alice, ApiTokenScope.READ)}"}
    found = client.post(
        "/api/v1/victims/search/",
        {"passport": PASSPORT},
        content_type="application/json",
        headers=read,
    )
    assert found.status_code == 200 and [r["id"] for r in found.json()] == [record.pk]
    moved = client.post(
        f"/api/v1/victims/{record.pk}/transition/",
        {"to_status": "located"},
        content_type="application/json",
        headers=read,
    )
    assert moved.status_code == 403
    record.refresh_from_db()
    assert record.status == "reported_missing"
