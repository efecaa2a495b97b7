"""The global search: /search/ (page) and /api/v1/search/ (API), and the header box.

Each kind of value is found however it was typed; a value only a hidden record holds
answers exactly like a value nobody reported; bad input is a hint (page) or a 400 (API).
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cases import search_terms
from cases import services as case_services
from cases.choices import LeadKind
from exchange.search import GROUP_LIMIT
from indicators import services as ip_services
from sharing.choices import TLP
from sharing.templatetags.sharing import tlp_badge
from tests.cases.factories import make_lead
from tests.embassies.factories import api_key
from tests.victims.factories import PASSPORT, victim
from victims.choices import AccessAction
from victims.models import AccessEvent

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/search/"
API = "/api/v1/search/"


def page(client, q: str) -> str:
    response = client.get(PAGE, {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def api(client, q: str, user) -> dict:
    response = client.get(API, {"q": q}, headers={"Authorization": f"Token {api_key(user)}"})
    assert response.status_code == 200, response.content
    return response.json()


def hits(body: dict, group: str) -> list[dict]:
    for g in body["groups"]:
        if g["kind"] == group:
            return g["results"]
    return []


def report(user, address: str, *, police: bool = True, everyone: bool = False):
    result = ip_services.ip_report_submit_batch(
        actor=user,
        rows=[
            {
                "row": 1,
                "address": address,
                "seen_at": timezone.now() - timedelta(hours=1),
                "context": "scam_call",
            }
        ],
        tlp=TLP.AMBER,
        police_access=police,
        shared_with_all=everyone,
    )
    assert result.created, result.errors
    return result.created[0]


# --- the recogniser ------------------------------------------------------------------------


def test_the_recogniser_imports_no_framework():
    tree = ast.parse((ROOT / "cases" / "search_terms.py").read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert not modules & {"django", "rest_framework", "celery", "indicators", "victims"}


def kinds(q: str) -> dict[str, str]:
    return {r.kind: r.value for r in search_terms.recognise(q)}


@pytest.mark.parametrize(
    ("query", "kind", "value"),
    [
        ("45.67.89.5", search_terms.IP, "45.67.89.5"),
        ("::ffff:45.67.89.5", search_terms.IP, "45.67.89.5"),
        ("[2404:6800:4001::1]", search_terms.IP, "2404:6800:4001::1"),
        ("http://45.67.89.5/login", search_terms.IP, "45.67.89.5"),
        ("45.67.89.7/24", search_terms.NETWORK, "45.67.89.0/24"),
        ("2404:6800::/32", search_terms.NETWORK, "2404:6800::/32"),
        ("+66 81 234 5678", search_terms.PHONE, "+66812345678"),
        ("081-234-5678", search_terms.PHONE, "+66812345678"),
        ("(081) 234 5678", search_terms.PHONE, "+66812345678"),
        ("0066812345678", search_terms.PHONE, "+66812345678"),
        ("66812345678", search_terms.PHONE, "+66812345678"),
        ("081-234-5678", search_terms.ACCOUNT, "0812345678"),
        ("123-4-56789-0", search_terms.ACCOUNT, "1234567890"),
        ("123 4 56789 0", search_terms.ACCOUNT, "1234567890"),
        ("DE89 3704 0044 0532 0130 00", search_terms.ACCOUNT, "DE89370400440532013000"),
        (
            "0x52908400098527886E0F7030069857D2E4169EE7",
            search_terms.WALLET,
            "0x52908400098527886e0f7030069857d2e4169ee7",
        ),
        (
            "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC",
            search_terms.WALLET,
            "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC",
        ),
        ("https://www.Scam-Shop.example/pay?x=1", search_terms.DOMAIN, "scam-shop.example"),
        ("scam-shop.example", search_terms.DOMAIN, "scam-shop.example"),
        ("@ScamBoss", search_terms.HANDLE, "scamboss"),
        ("telegram @scamboss", search_terms.HANDLE, "scamboss"),
        ("https://t.me/scamboss", search_terms.HANDLE, "scamboss"),
        ("VR-000123", search_terms.VICTIM_REF, "123"),
        ("vr 123", search_terms.VICTIM_REF, "123"),
        ("CASE-000042", search_terms.CASE_REF, "42"),
        ("case #42", search_terms.CASE_REF, "42"),
        ("Zhang  Wei", search_terms.NAME, "zhang wei"),
        ("สมชาย", search_terms.NAME, "สมชาย"),
        ("PX1234567", search_terms.PASSPORT, "PX1234567"),
    ],
)
def test_the_recogniser_reads_each_kind_of_value(query, kind, value):
    assert kinds(query).get(kind) == value


def test_a_value_has_every_reading_it_could_have():
    readings = kinds("0812345678")
    assert readings[search_terms.PHONE] == "+66812345678"
    assert readings[search_terms.ACCOUNT] == "0812345678"
    # ... but an address is not an account, a domain is not a person's name.
    assert search_terms.ACCOUNT not in kinds("45.67.89.5")
    assert search_terms.PHONE not in kinds("45.67.89.99")  # +66 4567 8999 would be valid
    assert search_terms.NAME not in kinds("scam-shop.example")
    assert search_terms.HANDLE in kinds("https://t.me/scamboss")
    assert search_terms.DOMAIN in kinds("https://t.me/scamboss")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 201, "too_long"),
        ("1.2.3.4\x00", "control"),
        ("a\tb", "control"),
        (None, "empty"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(query, code):
    with pytest.raises(search_terms.QueryProblem) as problem:
        search_terms.check_query(query)
    assert problem.value.code == code
    assert search_terms.recognise(query) == []


# --- each kind, found in the page and the API ----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "typed"),
    [
        (LeadKind.PHONE, {"number": "081 234 5678"}, "+66812345678"),
        (LeadKind.PHONE, {"number": "081 234 5678"}, "0066 81 234 5678"),
        (LeadKind.PHONE, {"number": "081 234 5678"}, "66812345678"),
        (LeadKind.PHONE, {"number": "+66812345678"}, "081-234-5678"),
        (LeadKind.BANK_ACCOUNT, {"bank": "KBank", "account_number": "123-4-56789-0"}, "1234567890"),
        (LeadKind.BANK_ACCOUNT, {"bank": "SCB", "account_number": "1234567890"}, "123-4-56789-0"),
        (
            LeadKind.BANK_ACCOUNT,
            {"bank": "DEUTDEFF", "account_number": "DE89 3704 0044 0532 0130 00"},
            "DE89370400440532013000",
        ),
        (
            LeadKind.CRYPTO_WALLET,
            {"chain": "ETH", "address": "0x52908400098527886E0F7030069857D2E4169EE7"},
            "0x52908400098527886e0f7030069857d2e4169ee7",
        ),
        (
            LeadKind.CRYPTO_WALLET,
            {"chain": "USDT-TRC20", "address": "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC"},
            "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC",
        ),
        (LeadKind.DOMAIN, {"url": "https://scam-shop.example/login"}, "scam-shop.example"),
        (LeadKind.DOMAIN, {"url": "scam-shop.example"}, "http://www.scam-shop.example/pay"),
        (LeadKind.HANDLE, {"platform": "telegram", "handle": "@ScamBoss"}, "@scamboss"),
        (LeadKind.HANDLE, {"platform": "telegram", "handle": "scamboss"}, "t.me/scamboss"),
        (LeadKind.HANDLE, {"platform": "LINE", "handle": "boss.88"}, "@boss.88"),
        (LeadKind.PERSON, {"names": "Zhang Wei", "date_of_birth": "1980-02-03"}, "zhang"),
        (LeadKind.PERSON, {"names": "Zhang Wei"}, "Zhang Wei"),
        (LeadKind.IP, {"address": "45.67.89.5"}, "45.67.89.5"),
    ],
)
def test_every_kind_of_lead_is_found_however_it_is_typed(
    alice, as_user, client, kind, fields, typed
):
    lead = make_lead(alice, kind=kind, fields=fields, police=False)
    assert reverse("cases:lead_detail", args=[lead.pk]) in page(as_user(alice), typed)
    assert [h["id"] for h in hits(api(client, typed, alice), "leads")] == [lead.pk]


def test_a_bare_account_number_is_found_in_every_bank(alice, as_user):
    kbank = make_lead(
        alice, kind=LeadKind.BANK_ACCOUNT, fields={"bank": "KBank", "account_number": "1234567890"}
    )
    scb = make_lead(
        alice, kind=LeadKind.BANK_ACCOUNT, fields={"bank": "SCB", "account_number": "123-456-7890"}
    )
    other = make_lead(
        alice, kind=LeadKind.BANK_ACCOUNT, fields={"bank": "SCB", "account_number": "1234567891"}
    )
    body = page(as_user(alice), "1234567890")
    for lead in (kbank, scb):
        assert reverse("cases:lead_detail", args=[lead.pk]) in body
    assert reverse("cases:lead_detail", args=[other.pk]) not in body


def test_the_lead_search_finds_a_bare_account_number(alice, as_user, client):
    """Issue 10: `1234567890` with no bank found nothing, not even the officer's own lead."""
    lead = make_lead(
        alice,
        kind=LeadKind.BANK_ACCOUNT,
        fields={"bank": "KBank", "account_number": "123-4-56789-0"},
    )
    found = as_user(alice).get(reverse("cases:lead_search"), {"q": "1234567890"})
    assert reverse("cases:lead_detail", args=[lead.pk]) in found.content.decode()
    narrowed = as_user(alice).get(
        reverse("cases:lead_search"), {"q": "1234567890", "kind": "bank_account"}
    )
    assert reverse("cases:lead_detail", args=[lead.pk]) in narrowed.content.decode()
    listed = client.get(
        "/api/v1/leads/", {"q": "1234567890"}, headers={"Authorization": f"Token {api_key(alice)}"}
    )
    assert [row["id"] for row in listed.json()["results"]] == [lead.pk]


def test_a_phone_number_also_finds_a_whatsapp_handle(alice, client):
    lead = make_lead(
        alice, kind=LeadKind.HANDLE, fields={"platform": "WhatsApp", "handle": "+66 81 234 5678"}
    )
    assert [h["id"] for h in hits(api(client, "081-234-5678", alice), "leads")] == [lead.pk]


def test_ip_reports_by_address_and_within_a_prefix(alice, as_user, client):
    v4 = report(alice, "45.67.89.5")
    v6 = report(alice, "2404:6800:4001::1")
    report(alice, "45.67.90.1")
    assert [h["id"] for h in hits(api(client, "45.67.89.5", alice), "ip_reports")] == [v4]
    assert [h["id"] for h in hits(api(client, "45.67.89.0/24", alice), "ip_reports")] == [v4]
    assert [h["id"] for h in hits(api(client, "2404:6800:4001:0::1", alice), "ip_reports")] == [v6]
    assert [h["id"] for h in hits(api(client, "2404:6800::/32", alice), "ip_reports")] == [v6]
    body = page(as_user(alice), "45.67.89.0/24")
    assert reverse("indicators:report_detail", args=[v4]) in body


def test_the_compound_whose_catalogued_prefix_holds_the_address(alice, platform_admin, client):
    kk = ip_services.compound_save(
        actor=platform_admin,
        name="KK Park",
        country="MM",
        area="Myawaddy",
        status="active",
        aliases=["KK Garden"],
    )
    ip_services.evidence_save(
        actor=platform_admin, compound=kk, network="45.67.88.0/22", kind="prefix", confidence=80
    )
    found = hits(api(client, "45.67.89.5", alice), "compounds")
    assert [h["id"] for h in found] == [kk.pk]
    assert [h["id"] for h in hits(api(client, "45.67.89.0/24", alice), "compounds")] == [kk.pk]
    assert [h["id"] for h in hits(api(client, "kk park", alice), "compounds")] == [kk.pk]
    assert [h["id"] for h in hits(api(client, "garden", alice), "compounds")] == [kk.pk]
    assert hits(api(client, "45.68.0.1", alice), "compounds") == []


def test_a_victim_record_by_its_number_is_found_and_logged(alice, bob, as_user, client):
    record = victim(alice)
    body = page(as_user(alice), record.reference)
    assert reverse("victims:detail", args=[record.pk]) in body
    assert "Zyxwanda" not in body  # the name is not shown, nor loaded
    assert AccessEvent.objects.filter(record=record, action=AccessAction.SEARCH_HIT).count() == 1
    assert [h["id"] for h in hits(api(client, f"vr {record.pk}", alice), "victims")] == [record.pk]
    assert AccessEvent.objects.filter(record=record, action=AccessAction.SEARCH_HIT).count() == 2
    # Outside bob's audience: nothing found, nothing logged.
    assert hits(api(client, record.reference, bob), "victims") == []
    assert AccessEvent.objects.filter(record=record).count() == 2 + 1  # + the creation


def test_passports_are_looked_up_only_from_a_request_body(alice, as_user, client):
    record = victim(alice)
    detail = reverse("victims:detail", args=[record.pk])
    assert detail not in page(as_user(alice), PASSPORT)  # a URL: not looked up
    posted = as_user(alice).post(PAGE, {"q": "p1234 567x"})
    assert posted.status_code == 200 and detail in posted.content.decode()
    headers = {"Authorization": f"Token {api_key(alice)}"}
    assert hits(api(client, PASSPORT, alice), "victims") == []
    by_post = client.post(API, {"q": PASSPORT}, content_type="application/json", headers=headers)
    assert [h["id"] for h in hits(by_post.json(), "victims")] == [record.pk]
    assert AccessEvent.objects.filter(record=record, action=AccessAction.SEARCH_HIT).count() == 2


def test_a_case_by_number_or_title(alice, analyst, client, as_user):
    lead = make_lead(alice)
    case = case_services.case_open(actor=analyst, title="Mule ring Mae Sot", leads=[lead])
    assert case.reference == f"CASE-{case.pk:06d}"
    assert [h["id"] for h in hits(api(client, case.reference, analyst), "cases")] == [case.pk]
    assert [h["id"] for h in hits(api(client, f"case {case.pk}", analyst), "cases")] == [case.pk]
    assert [h["id"] for h in hits(api(client, "mae sot", analyst), "cases")] == [case.pk]
    assert hits(api(client, case.reference, alice), "cases") == []  # police-only
    listed = as_user(analyst).get(reverse("cases:case_list"), {"q": case.reference})
    assert case.title in listed.content.decode()
    assert (
        "Mule ring"
        not in as_user(analyst)
        .get(reverse("cases:case_list"), {"q": "CASE-999999"})
        .content.decode()
    )


def test_each_hit_links_its_record_with_tlp_and_owner(alice, as_user):
    lead = make_lead(alice, fields={"number": "+66812345678"}, tlp=TLP.GREEN)
    body = page(as_user(alice), "0812345678")
    assert reverse("cases:lead_detail", args=[lead.pk]) in body
    assert tlp_badge(TLP.GREEN) in body
    assert str(lead.workspace) in body


# --- no hidden record shows, or counts, or hints -------------------------------------------


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _same(a: str, b: str, typed_a: str, typed_b: str) -> bool:
    """Equal but for what was typed (echoed in the box) and the per-response CSRF mask."""

    def masked(body: str, typed: str) -> str:
        body = CSRF.sub("", body).replace(typed, "<typed>")
        return body.replace(quote_plus(typed), "<typed>").replace(quote(typed), "<typed>")

    return masked(a, typed_a) == masked(b, typed_b)


def test_a_hidden_value_answers_like_an_unreported_one(alice, bob, analyst, as_user, client):
    """Bob may see none of these (owner-only): every search answers as for a value nobody
    reported, in the page (GET and POST) and the API (GET and POST)."""
    make_lead(
        alice,
        kind=LeadKind.BANK_ACCOUNT,
        fields={"bank": "KBank", "account_number": "1234500001"},
        police=False,
    )
    make_lead(alice, kind=LeadKind.PHONE, fields={"number": "+66812345001"}, police=False)
    make_lead(alice, kind=LeadKind.PERSON, fields={"names": "Qorvath Example"}, police=False)
    report(alice, "45.67.89.5", police=False)
    record = victim(alice, police_access=False)
    case = case_services.case_open(actor=analyst, title="Zebulon ring", leads=[make_lead(alice)])
    pairs = [
        ("1234500001", "1234599999"),
        ("+66812345001", "+66812345999"),
        ("Qorvath", "Qorvexx"),
        ("45.67.89.5", "45.67.89.99"),
        ("45.67.89.0/24", "45.67.88.0/24"),
        (record.reference, "VR-999999"),
        (PASSPORT, "P-9999 999X"),
        (case.reference, "CASE-999999"),
        ("Zebulon", "Zebulax"),
    ]
    browser = as_user(bob)
    headers = {"Authorization": f"Token {api_key(bob)}"}
    for hidden, nobody in pairs:
        answers = []
        for value in (hidden, nobody):
            answers.append(
                [
                    browser.get(PAGE, {"q": value}),
                    browser.post(PAGE, {"q": value}),
                    client.get(API, {"q": value}, headers=headers),
                    client.post(
                        API, {"q": value}, content_type="application/json", headers=headers
                    ),
                ]
            )
        for got, want in zip(*answers, strict=True):
            assert got.status_code == want.status_code == 200
            assert _same(got.content.decode(), want.content.decode(), hidden, nobody), hidden
    assert not AccessEvent.objects.filter(action=AccessAction.SEARCH_HIT).exists()


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "1.2.3.4\x00", "a\nb", "\x1b[31m"])
def test_bad_input_is_a_hint_on_the_page_and_a_400_in_the_api(alice, as_user, client, q):
    shown = as_user(alice).get(PAGE, {"q": q})
    assert shown.status_code == 200
    assert 'class="alert alert-warning"' in shown.content.decode()
    posted = as_user(alice).post(PAGE, {"q": q})
    assert posted.status_code == 200 and b"alert-warning" in posted.content
    headers = {"Authorization": f"Token {api_key(alice)}"}
    refused = client.get(API, {"q": q}, headers=headers)
    assert refused.status_code == 400 and refused.json()["q"]
    refused = client.post(API, {"q": q}, content_type="application/json", headers=headers)
    assert refused.status_code == 400 and refused.json()["q"]


def test_the_api_wants_a_query(alice, client):
    headers = {"Authorization": f"Token {api_key(alice)}"}
    assert client.get(API, headers=headers).status_code == 400
    assert (
        client.post(API, [1, 2], content_type="application/json", headers=headers).status_code
        == 400
    )
    assert (
        client.post(API, {"q": ["a"]}, content_type="application/json", headers=headers).status_code
        == 400
    )


def test_the_page_without_a_query_is_the_form(alice, as_user):
    shown = as_user(alice).get(PAGE)
    assert shown.status_code == 200
    body = shown.content.decode()
    assert 'role="search"' in body and "alert-warning" not in body
    assert "Victim names are encrypted" in body


def test_signed_out_is_sent_to_sign_in(client):
    assert "/accounts/login/" in client.get(PAGE, {"q": "1.2.3.4"})["Location"]
    assert client.get(API, {"q": "1.2.3.4"}).status_code in (401, 403)


def test_a_read_token_may_search_by_post(alice, client):
    from embassies.choices import ApiTokenScope

    headers = {"Authorization": f"Token {api_key(alice, ApiTokenScope.READ)}"}
    assert (
        client.post(
            API, {"q": "1.2.3.4"}, content_type="application/json", headers=headers
        ).status_code
        == 200
    )


# --- groups are capped, with a link to the filtered list; queries are bounded --------------


def test_a_group_shows_at_most_n_with_a_more_link(alice, as_user, client):
    for n in range(GROUP_LIMIT + 1):
        make_lead(
            alice,
            kind=LeadKind.BANK_ACCOUNT,
            fields={
                "bank": ("KBank", "SCB", "KTB", "BBL")[n % 4] if n < 4 else f"Bank {n}",
                "account_number": "1234567890",
            },
        )
    body = api(client, "1234567890", alice)
    group = next(g for g in body["groups"] if g["kind"] == "leads")
    assert len(group["results"]) == GROUP_LIMIT and group["more"]
    assert group["more_url"] == "/leads/search/?q=1234567890"
    listed = as_user(alice).get(group["more_url"])
    assert listed.content.decode().count("/leads/") >= GROUP_LIMIT + 1


def _world(alice, analyst, n: int) -> None:
    for i in range(n):
        make_lead(
            alice,
            kind=LeadKind.BANK_ACCOUNT,
            fields={"bank": "SCB", "account_number": f"45678{i:05d}"},
        )
        make_lead(alice, kind=LeadKind.IP, fields={"address": f"45.67.89.{i + 1}"})
        report(alice, f"45.67.89.{i + 1}")


def test_the_number_of_queries_does_not_grow_with_the_hits(
    alice, analyst, as_user, django_assert_max_num_queries
):
    browser = as_user(alice)
    _world(alice, analyst, 1)
    with django_assert_max_num_queries(14):
        assert browser.get(PAGE, {"q": "45.67.89.0/24"}).status_code == 200
    _world(alice, analyst, 12)
    with django_assert_max_num_queries(14):
        assert browser.get(PAGE, {"q": "45.67.89.0/24"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert browser.get(PAGE, {"q": "0812345678"}).status_code == 200


# --- the lists the search links to ---------------------------------------------------------


def test_the_ip_report_list_is_searchable_by_address(alice, bob, as_user, client):
    mine = report(alice, "45.67.89.5", everyone=True)
    other = report(alice, "45.67.90.5", everyone=True)
    url = reverse("indicators:report_list")
    exact = as_user(bob).get(url, {"scope": "all", "q": "45.67.89.5"}).content.decode()
    assert reverse("indicators:report_detail", args=[mine]) in exact
    assert reverse("indicators:report_detail", args=[other]) not in exact
    within = as_user(bob).get(url, {"scope": "all", "q": "45.67.0.0/16"}).content.decode()
    assert all(reverse("indicators:report_detail", args=[r]) in within for r in (mine, other))
    headers = {"Authorization": f"Token {api_key(bob)}"}
    listed = client.get("/api/v1/ip-reports/", {"q": "45.67.90.0/24"}, headers=headers).json()
    assert [r["id"] for r in listed["results"]] == [other]
    assert (
        client.get("/api/v1/ip-reports/", {"q": "not an ip"}, headers=headers).json()["count"] == 0
    )


# --- the header box ------------------------------------------------------------------------


def test_the_header_box_is_a_labelled_get_form_to_the_search_page(alice):
    request = RequestFactory().get("/")
    request.user = alice
    html = render_to_string("exchange/_search_box.html", {"user": alice}, request=request)
    assert 'role="search"' in html and 'method="get"' in html and 'action="/search/"' in html
    assert 'name="q"' in html and "form-control form-control-sm" in html
    assert 'class="visually-hidden"' in html and 'for="site-search-q"' in html
    assert "VR-" in html
