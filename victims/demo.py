"""Demo victim records for `seed_demo`: obviously fictional people, created through services."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from embassies.models import User

from . import services
from .choices import AgeBand, ReferralKind, ScreeningOutcome, Sex, VictimStatus
from .models import VictimRecord

# (workspace slug, given name, family name, passport, sex, age band, compound, how far to go)
PEOPLE = [
    ("vietnam", "Demo", "Nguyen-Example", "DEMO-VN-0001", Sex.MALE, AgeBand.A18_24, "", "missing"),
    (
        "vietnam",
        "Sample",
        "Tran-Fictional",
        "DEMO-VN-0002",
        Sex.FEMALE,
        AgeBand.A25_34,
        "Demo Compound A (fictional)",
        "referred",
    ),
    (
        "indonesia",
        "Contoh",
        "Fiktif",
        "DEMO-ID-0001",
        Sex.MALE,
        AgeBand.A25_34,
        "Demo Compound B (fictional)",
        "screened",
    ),
    (
        "india",
        "Placeholder",
        "Kumar-Demo",
        "DEMO-IN-0001",
        Sex.MALE,
        AgeBand.A35_49,
        "Demo Compound A (fictional)",
        "located",
    ),
]


def _walk(actor: User, record: VictimRecord, compound: str, goal: str) -> None:
    if goal == "missing":
        return
    services.victim_transition(
        actor=actor, record=record, to_status=VictimStatus.LOCATED, located_compound=compound
    )
    if goal == "located":
        return
    services.victim_transition(
        actor=actor, record=record, to_status=VictimStatus.RESCUED_OR_RELEASED
    )
    services.screening_record(
        actor=actor,
        record=record,
        interview_date=dt.date.today() - dt.timedelta(days=3),
        place="Demo shelter interview room (fictional)",
        interpreter="Demo interpreter",
        screening_officer=str(actor),
        indicators=[
            "deception_recruitment",
            "documents_confiscated",
            "restricted_movement",
            "forced_criminality",
            "debt_bondage",
        ],
        outcome=ScreeningOutcome.IDENTIFIED_VICTIM,
        outcome_reason="Demo: several indicators present and consistent account.",
    )
    if goal == "screened":
        return
    services.victim_transition(
        actor=actor,
        record=record,
        to_status=VictimStatus.REFERRED,
        referral_kind=ReferralKind.SHELTER,
        referral_to="Demo Government Shelter (fictional)",
        referral_date=dt.date.today() - dt.timedelta(days=1),
        note="Referred under the NRM (demo).",
    )


@transaction.atomic
def seed() -> list[str]:
    """Create the demo victim records (idempotent: found again by passport number)."""
    from .crypto import lookup_hash

    created = 0
    for slug, given, family, passport, sex, band, compound, goal in PEOPLE:
        actor = User.objects.filter(email=f"officer@{slug}.demo").first()
        if (
            actor is None
            or VictimRecord.objects.filter(passport_hash=lookup_hash(passport)).exists()
        ):
            continue
        record = services.victim_create(
            actor=actor,
            given_name=given,
            family_name=family,
            passport_number=passport,
            sex=sex,
            age_band=band,
            family_contact="Demo family contact (fictional)",
            note="Demo record: a fictional person.",
        )
        _walk(actor, record, compound, goal)
        created += 1
    return (
        [f"Victim records: {created} demo records created (fictional people)."] if created else []
    )
