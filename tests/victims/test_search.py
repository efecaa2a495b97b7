"""The victims app's search selector: by record number or passport hash, in the audience,
without loading the encrypted identity."""

from __future__ import annotations

from tests.victims.factories import PASSPORT, victim
from victims import selectors


def test_a_record_by_number_or_passport_within_the_audience(alice, bob, analyst):
    record = victim(alice)
    hidden = victim(alice, passport_number="Q9", police_access=False)
    assert [r.pk for r in selectors.victim_search(user=alice, record_ids=[record.pk])] == [
        record.pk
    ]
    assert [r.pk for r in selectors.victim_search(user=alice, passport="p1234567x")] == [record.pk]
    assert list(selectors.victim_search(user=bob, record_ids=[record.pk], passport=PASSPORT)) == []
    assert list(selectors.victim_search(user=analyst, record_ids=[hidden.pk])) == []
    assert list(selectors.victim_search(user=alice)) == []


def test_a_hit_does_not_load_the_identity(alice):
    record = victim(alice)
    hit = selectors.victim_search(user=alice, record_ids=[record.pk]).get()
    deferred = hit.get_deferred_fields()
    assert {"given_name", "family_name", "passport_number"} <= deferred
