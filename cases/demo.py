"""Demo leads, a freeze request and a case for `seed_demo` (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from embassies.models import User

from . import services
from .choices import LeadKind, LeadStatus
from .models import Case, FreezeRequest, Lead

# (officer e-mail, kind, fields, reliability, grade, description)
DEMO_LEADS: list[tuple[str, str, dict, str, str, str]] = [
    (
        "officer@china.demo",
        LeadKind.PHONE,
        {"number": "+66 81 234 5678"},
        "B",
        "2",
        "Number used by a 'customs officer' in a call to a Chinese national.",
    ),
    (
        "officer@vietnam.demo",
        LeadKind.PHONE,
        {"number": "081-234-5678"},
        "C",
        "3",
        "Recruiter's WhatsApp number from a rescued worker's phone.",
    ),
    (
        "officer@china.demo",
        LeadKind.BANK_ACCOUNT,
        {"bank": "KBank", "account_number": "123-4-56789-0", "holder_name": "Somchai Demo"},
        "B",
        "2",
        "Mule account: victim transferred THB 480,000 yesterday.",
    ),
    (
        "officer@indonesia.demo",
        LeadKind.BANK_ACCOUNT,
        {"bank": "004", "account_number": "1234567890"},
        "C",
        "3",
        "Same mule account reported by an Indonesian victim.",
    ),
    (
        "officer@india.demo",
        LeadKind.CRYPTO_WALLET,
        {"chain": "USDT-TRC20", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
        "B",
        "3",
        "Wallet given to a victim of a 'task' scam.",
    ),
    (
        "officer@hsi.demo",
        LeadKind.CRYPTO_WALLET,
        {"chain": "ETH", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
        "A",
        "2",
        "Deposit address of a fake trading platform.",
    ),
    (
        "officer@vietnam.demo",
        LeadKind.DOMAIN,
        {"url": "https://www.Fake-Exchange-Demo.example/login"},
        "B",
        "1",
        "Fake exchange where victims were shown false profits.",
    ),
    (
        "officer@china.demo",
        LeadKind.HANDLE,
        {"platform": "Telegram", "handle": "@Boss_Recruiter_Demo"},
        "C",
        "4",
        "Telegram recruiter offering 'customer service' jobs in Thailand.",
    ),
    (
        "officer@unodc.demo",
        LeadKind.PERSON,
        {"names": "Demo Person A", "aliases": "Boss A", "nationality": "MM", "role": "boss"},
        "D",
        "4",
        "Named by two rescued workers as a compound manager.",
    ),
    (
        "officer@indonesia.demo",
        LeadKind.IP,
        {"address": "8.8.4.4"},
        "B",
        "2",
        "Login address seen on a victim's hijacked account (demo value).",
    ),
]


@transaction.atomic
def seed() -> list[str]:
    """Create demo leads (some under review), one freeze request and one case; idempotent."""
    if Lead.objects.filter(description__startswith="Number used by a 'customs officer'").exists():
        return ["cases: demo leads already present"]
    users = {u.email: u for u in User.objects.filter(email__endswith=".demo")}
    analyst = users.get("analyst@police.demo")
    if analyst is None:
        return ["cases: no demo cast (run the embassies demo first)"]
    now = timezone.now()
    leads = []
    for n, (email, kind, fields, reliability, grade, description) in enumerate(DEMO_LEADS):
        officer = users.get(email)
        if officer is None:
            continue
        leads.append(
            services.lead_create(
                actor=officer,
                kind=kind,
                fields=fields,
                reliability=reliability,
                grade=grade,
                description=description,
                now=now - timedelta(hours=len(DEMO_LEADS) - n),
            )
        )
    for lead in leads[:4]:
        services.lead_transition(actor=analyst, lead=lead, to_status=LeadStatus.UNDER_REVIEW)
    services.lead_transition(actor=analyst, lead=leads[0], to_status=LeadStatus.ACTIONABLE)
    services.lead_comment_add(
        actor=analyst, lead=leads[0], text="Matches a number in two other reports; checking."
    )
    mule = next(lead for lead in leads if lead.kind == LeadKind.BANK_ACCOUNT)
    services.freeze_request_raise(actor=analyst, lead=mule, bank_reference="")
    services.case_open(
        actor=analyst,
        title="Demo: KBank mule account and the customs-officer caller",
        summary="Victims of a fake customs call paid into the same KBank account.",
        leads=[leads[0], mule],
    )
    return [
        f"cases: {len(leads)} demo leads, "
        f"{FreezeRequest.objects.count()} freeze request(s), {Case.objects.count()} case(s)"
    ]
