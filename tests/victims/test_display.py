"""The access log and the timeline speak in words, never in the services' shorthand."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from sharing.choices import TLP
from victims import services
from victims.choices import VictimStatus
from victims.display import detail_words

KEYISH = re.compile(r"[A-Za-z]+_[A-Za-z_]+|\b(?:tlp|police|all|named)=")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("detail", "words"),
    [
        (
            "tlp=amber+strict police=True all=False named=1",
            "Shared with police and 1 named delegation, TLP:AMBER+STRICT",
        ),
        (
            "tlp=amber police=True all=False named=2",
            "Shared with police and 2 named delegations, TLP:AMBER",
        ),
        ("tlp=green police=False all=False named=3", "Shared with 3 named delegations, TLP:GREEN"),
        (
            "tlp=green police=True all=True named=0",
            "Shared with police and all delegations, TLP:GREEN",
        ),
        ("tlp=clear police=False all=True named=0", "Shared with all delegations, TLP:CLEAR"),
        ("tlp=amber police=True all=False named=0", "Shared with police, TLP:AMBER"),
        ("tlp=red police=False all=False named=0", "Kept to the owner delegation, TLP:RED"),
        ("→ rescued_or_released", "Status changed to Rescued or released"),
        ("edited: given_name, passport_number", "Changed: Given name(s), Passport number"),
        (
            "no consent; lawful basis: vital_interest",
            "No consent; lawful basis: Vital interest (life or safety at risk)",
        ),
        ("consent given", "Consent given"),
        ("created", "Record opened"),
        ("csv", "CSV export"),
        ("edit form", "Edit form"),
        ("api passport", "Passport search through the API"),
    ],
)
def test_details_in_words(detail, words):
    assert detail_words(detail) == words


def test_unknown_text_is_shown_as_written():
    assert detail_words("Court order 12/2026") == "Court order 12/2026"


def test_access_log_and_timeline_show_words(as_user, alice, alpha_admin, bravo, record):
    services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.LOCATED, located_compound="KK Park"
    )
    services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.RESCUED_OR_RELEASED
    )
    services.victim_consent_record(actor=alice, record=record, consent_given=True)
    services.victim_audience_set(
        actor=alice,
        record=record,
        tlp=TLP.AMBER_STRICT,
        police_access=True,
        shared_with_all=False,
        workspaces=[bravo],
    )
    log = _visible_text(as_user(alpha_admin).get(reverse("victims:access_log")).content.decode())
    assert "Shared with police and 1 named delegation, TLP:AMBER+STRICT" in log
    assert "Status changed to Rescued or released" in log
    assert not KEYISH.search(log), KEYISH.search(log)
    timeline = _visible_text(
        as_user(alice).get(reverse("victims:detail", args=[record.pk])).content.decode()
    )
    assert "Shared with police and 1 named delegation, TLP:AMBER+STRICT" in timeline
    assert "rescued_or_released" not in timeline and not KEYISH.search(timeline)


def test_details_follow_the_reader_language():
    """The words go through gettext: a Thai reader gets the status's Thai label."""
    with translation.override("th"):
        thai = str(VictimStatus.RESCUED_OR_RELEASED.label)
        words = detail_words("→ rescued_or_released")
    assert thai != "Rescued or released", "the Thai catalogue translates the status"
    assert thai in words and "rescued_or_released" not in words


def test_statistics_name_statuses_and_countries(as_user, alice, record):
    page = as_user(alice).get(reverse("victims:stats"), HTTP_ACCEPT_LANGUAGE="en")
    text = _visible_text(page.content.decode())
    assert "Reported missing" in text and "reported_missing" not in text
    assert "Philippines" in text
    assert not KEYISH.search(text), KEYISH.search(text)
