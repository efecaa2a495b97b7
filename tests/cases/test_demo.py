"""The demo data: every kind from the demo embassies, some under review, a freeze, a case."""

from cases import demo
from cases.models import Case, FreezeRequest, Lead
from embassies import demo as embassies_demo


def test_seed_is_idempotent(db):
    embassies_demo.seed()
    first = demo.seed()
    assert "10 demo leads" in first[0]
    assert set(Lead.objects.values_list("kind", flat=True)) == {
        "phone",
        "bank_account",
        "crypto_wallet",
        "domain",
        "handle",
        "person",
        "ip",
    }
    assert Lead.objects.filter(status="under_review").exists()
    assert FreezeRequest.objects.count() == 1 and Case.objects.count() == 1
    demo.seed()
    assert Lead.objects.count() == 10 and Case.objects.count() == 1
