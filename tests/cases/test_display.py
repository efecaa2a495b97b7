"""A lead's page reads in words: field labels, not the parser's keys, in English and Thai."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from cases import services
from cases.choices import LeadKind, LeadStatus
from cases.display import lead_fields

from .factories import KBANK, make_lead

# One valid lead of every kind, with every optional field filled.
SAMPLES = {
    LeadKind.PHONE: {"number": "+66 81 234 5678"},
    LeadKind.BANK_ACCOUNT: dict(KBANK),
    LeadKind.CRYPTO_WALLET: {
        "chain": "BTC",
        "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    },
    LeadKind.DOMAIN: {"url": "https://www.scam-shop.example.com/login"},
    LeadKind.HANDLE: {"platform": "telegram", "handle": "@scamboss"},
    LeadKind.PERSON: {
        "names": "Somchai Jaidee; Sam Jaidee",
        "aliases": "Boss Sam",
        "nationality": "TH",
        "date_of_birth": "1985-02-03",
        "role": "money_mule",
    },
    LeadKind.IP: {"address": "45.76.30.3"},
}
# A key-like token (`bank_bic`, `rescued_or_released`), an E164 label or a Python list.
KEYISH = re.compile(r"[A-Za-z]+_[A-Za-z_]+|E164|\['", re.IGNORECASE)


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes, scripts or comments."""
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(LeadKind.values)


@pytest.mark.parametrize("language", ["en", "th"])
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_lead_page_shows_no_keys(as_user, alice, analyst, kind, language):
    lead = make_lead(alice, kind=kind, fields=dict(SAMPLES[kind]))
    # Some history, so the page's history and freeze sections render too.
    services.lead_transition(actor=analyst, lead=lead, to_status=LeadStatus.UNDER_REVIEW)
    if kind == LeadKind.BANK_ACCOUNT:
        services.freeze_request_raise(actor=analyst, lead=lead)
    for user in (alice, analyst):
        response = as_user(user).get(
            reverse("cases:lead_detail", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        text = visible_text(response.content.decode())
        found = KEYISH.findall(text)
        assert not found, (kind, language, user.email, found)


def test_bank_account_fields_are_labelled():
    class FakeLead:
        kind = LeadKind.BANK_ACCOUNT
        details = {
            "bank_code": "004",
            "bank_bic": "KASITHBK",
            "bank_name": "Kasikornbank",
            "account_number": "1234567890",
            "holder_name": "",
            "country": "TH",
            "display": "Kasikornbank 1234567890",
        }

    with translation.override("en"):
        rows = [(str(label), value) for label, value in lead_fields(FakeLead())]
    assert rows == [
        ("Bank", "Kasikornbank"),
        ("Bank code", "004"),
        ("SWIFT BIC", "KASITHBK"),
        ("Account number", "1234567890"),
        ("Account holder", None),
        ("Country", "Thailand (TH)"),
    ]


def test_person_role_and_names_in_words():
    class FakeLead:
        kind = LeadKind.PERSON
        details = {"names": ["A One", "A Two"], "aliases": [], "role": "money_mule"}

    with translation.override("en"):
        rows = {str(label): value for label, value in lead_fields(FakeLead())}
    assert rows == {"Names": "A One; A Two", "Aliases": None, "Role": "Money mule"}
