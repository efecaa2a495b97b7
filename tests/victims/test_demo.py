"""seed_demo's victims part: a few fictional records, idempotent, one screened, one referred."""

from embassies import demo as embassies_demo
from victims import demo
from victims.choices import VictimStatus
from victims.models import VictimRecord


def test_demo_records_are_fictional_and_idempotent(db):
    embassies_demo.seed()
    assert demo.seed()
    count = VictimRecord.objects.count()
    assert count == len(demo.PEOPLE)
    assert demo.seed() == []
    assert VictimRecord.objects.count() == count
    statuses = set(VictimRecord.objects.values_list("status", flat=True))
    assert {VictimStatus.IDENTIFIED_VICTIM, VictimStatus.REFERRED} <= statuses
    assert all("DEMO-" in r.passport_number for r in VictimRecord.objects.all())
