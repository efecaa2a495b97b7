"""The IP exchange's search selectors: reports by address or prefix, compounds by name,
alias or catalogued prefix; always within the viewer's audience."""

from __future__ import annotations

from indicators import selectors


def _ids(qs):
    return sorted(r.pk for r in qs)


def test_reports_by_exact_address_or_within_a_prefix(alice, bob, submit):
    seen = submit(alice, "45.67.89.5", "2404:6800:4001::1", audience="police").created
    hidden = submit(alice, "45.67.89.6", audience="owner").created
    assert _ids(selectors.report_search(user=alice, network="45.67.89.5")) == [seen[0]]
    assert _ids(selectors.report_search(user=alice, network="::ffff:45.67.89.5")) == [seen[0]]
    assert _ids(selectors.report_search(user=alice, network="45.67.89.0/24")) == sorted(
        [seen[0], hidden[0]]
    )
    assert _ids(selectors.report_search(user=alice, network="2404:6800::/32")) == [seen[1]]
    assert _ids(selectors.report_search(user=bob, network="45.67.89.0/24")) == []
    assert _ids(selectors.report_search(user=alice, network="not an address")) == []
    assert _ids(selectors.report_list(user=alice, q="45.67.89.6")) == [hidden[0]]


def test_compounds_by_name_alias_or_the_prefix_holding_an_address(
    alice, outsider, kk_park, shwe_kokko, add_evidence, curator
):
    from indicators import services

    services.compound_save(actor=curator, compound=kk_park, aliases=["KK Garden"])
    add_evidence(kk_park, "45.67.88.0/22")
    found = selectors.compound_search
    assert [c.pk for c in found(user=alice, text="kk pa")] == [kk_park.pk]
    assert [c.pk for c in found(user=alice, text="GARDEN")] == [kk_park.pk]
    assert [c.pk for c in found(user=alice, network="45.67.89.5")] == [kk_park.pk]
    assert [c.pk for c in found(user=alice, network="45.67.0.0/16")] == [kk_park.pk]
    assert found(user=alice, network="45.68.0.1") == []
    assert found(user=outsider, text="kk park") == []  # no catalogue without a role
