"""STIX 2.1 output is valid under the OASIS validator and carries TLP 2.0 markings."""

import pytest
from stix2validator import ValidationOptions, validate_instance

from sharing.choices import TLP
from sharing.stix import TLP_MARKING_IDS, bundle, record_properties, stix_id, tlp_marking
from tests.sharing.test_visible_to import make
from tests.sharing_example.models import ExampleRecord


def _note(record) -> dict:
    return {
        **record_properties(record, "note"),
        "content": record.value,
        "object_refs": [stix_id("identity", "workspace", record.workspace_id)],
    }


def assert_valid(stix: dict) -> None:
    result = validate_instance(stix, ValidationOptions(strict=True, version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


@pytest.mark.parametrize("tlp", TLP.values)
def test_each_tlp_marking_is_the_published_object(tlp):
    marking = tlp_marking(tlp)
    assert marking["id"] == TLP_MARKING_IDS[tlp]
    assert marking["name"] == f"TLP:{tlp.upper()}"
    assert_valid(
        {
            "type": "bundle",
            "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "objects": [marking],
        }
    )


def test_bundle_of_visible_records_is_valid_and_marked(alice, bob, bravo):
    shared = make(alice, value="+66811111111", named=[bravo], tlp=TLP.AMBER_STRICT)
    make(alice, value="hidden", police=False, tlp=TLP.RED)
    visible = ExampleRecord.objects.visible_to(bob).select_related("workspace__delegation")
    stix = bundle([_note(r) for r in visible], {r.workspace for r in visible})
    assert_valid(stix)
    notes = [o for o in stix["objects"] if o["type"] == "note"]
    assert [n["content"] for n in notes] == [shared.value]
    assert notes[0]["object_marking_refs"] == [TLP_MARKING_IDS[TLP.AMBER_STRICT]]
    ids = {o["id"] for o in stix["objects"]}
    assert TLP_MARKING_IDS[TLP.AMBER_STRICT] in ids
    assert TLP_MARKING_IDS[TLP.RED] not in ids  # only markings that are used
    assert "hidden" not in str(stix)


def test_ids_are_stable_across_exports(alice):
    record = make(alice)
    assert _note(record)["id"] == _note(record)["id"]


def test_observable_ids_follow_the_stix_rule():
    from sharing.stix import sco_id

    # The id the OASIS reference library (stix2 3.0.2) gives IPv4Address(value="198.51.100.3").
    assert sco_id("ipv4-addr", "198.51.100.3") == "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
