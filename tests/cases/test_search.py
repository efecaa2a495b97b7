"""The cases app's search selectors: leads by every reading of a value (a bare account number
in every bank), cases by number or title; always within the audience."""

from __future__ import annotations

from cases import search_terms, selectors, services
from cases.choices import LeadKind
from tests.cases.factories import make_lead


def _found(user, query):
    readings = search_terms.recognise(query)
    return sorted(lead.pk for lead in selectors.lead_search_readings(user=user, readings=readings))


def test_a_lead_keeps_its_value_without_its_qualifier(alice):
    bank = make_lead(
        alice, kind=LeadKind.BANK_ACCOUNT, fields={"bank": "SCB", "account_number": "123-456-7890"}
    )
    handle = make_lead(
        alice, kind=LeadKind.HANDLE, fields={"platform": "tg", "handle": "@Boss_88x"}
    )
    phone = make_lead(alice)
    assert (bank.bare_key, handle.bare_key, phone.bare_key) == ("1234567890", "boss_88x", "")


def test_leads_by_bare_value_within_the_audience(alice, bob):
    mine = make_lead(
        alice,
        kind=LeadKind.BANK_ACCOUNT,
        fields={"bank": "KBank", "account_number": "1234567890"},
        police=False,
    )
    shared = make_lead(
        alice,
        kind=LeadKind.BANK_ACCOUNT,
        fields={"bank": "BKKBTHBK", "account_number": "123-4-56789-0"},
        everyone=True,
    )
    assert _found(alice, "1234567890") == sorted([mine.pk, shared.pk])
    assert _found(bob, "1234567890") == [shared.pk]
    assert _found(bob, "1234567899") == []
    # The lead list's own filter reads the query the same way.
    assert list(
        selectors.lead_list(user=bob, filters={"q": "123 4 56789 0", "kind": "bank_account"})
    ) == [shared]


def test_person_leads_by_the_start_of_a_name(alice):
    lead = make_lead(
        alice, kind=LeadKind.PERSON, fields={"names": "Zhang Wei", "date_of_birth": "1980-01-02"}
    )
    assert _found(alice, "zhang") == [lead.pk]
    assert _found(alice, "Zhang  Wei") == [lead.pk]
    assert _found(alice, "wei") == []


def test_cases_by_number_or_title(alice, bob, analyst):
    case = services.case_open(actor=analyst, title="Mule ring Mae Sot", leads=[make_lead(alice)])

    def found(user, q):
        return [c.pk for c in selectors.case_search(user=user, readings=search_terms.recognise(q))]

    assert found(analyst, case.reference) == [case.pk]
    assert found(analyst, f"case #{case.pk}") == [case.pk]
    assert found(analyst, "MAE SOT") == [case.pk]
    assert found(bob, case.reference) == []
    assert [c.pk for c in selectors.case_list(user=analyst, filters={"q": "mule"})] == [case.pk]
