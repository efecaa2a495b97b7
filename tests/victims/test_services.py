"""The status path (every allowed move, refusals), screening, consent gate and edits."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sharing.choices import TLP
from victims import services
from victims.choices import (
    OUTCOME_STATUSES,
    SCREENING_STATUSES,
    TRANSITIONS,
    LawfulBasis,
    ScreeningOutcome,
    VictimStatus,
)
from victims.models import VictimEvent, VictimRecord

from .factories import screened, victim

S = VictimStatus

# The details each target needs (the service refuses the move without them).
DETAILS = {
    S.REFERRED: {
        "referral_kind": "shelter",
        "referral_to": "Shelter A",
        "referral_date": dt.date(2026, 1, 2),
    },
    S.REPATRIATION: {"repatriation_date": dt.date(2026, 2, 1), "repatriation_route": "BKK-MNL"},
    S.CLOSED: {"note": "Declined assistance"},
}
HAND_MOVES = [
    (src, dst)
    for src, targets in TRANSITIONS.items()
    for dst in targets
    if dst not in SCREENING_STATUSES | OUTCOME_STATUSES
]
REFUSED = [
    (src, dst)
    for src in S.values
    for dst in S.values
    if dst not in TRANSITIONS[src] and dst not in SCREENING_STATUSES | OUTCOME_STATUSES
]


def _at(record, status):
    VictimRecord.objects.filter(pk=record.pk).update(status=status)
    return VictimRecord.objects.get(pk=record.pk)


@pytest.mark.parametrize(("src", "dst"), HAND_MOVES)
def test_each_allowed_transition(record, alice, src, dst):
    record = _at(record, src)
    moved = services.victim_transition(
        actor=alice, record=record, to_status=dst, **DETAILS.get(dst, {})
    )
    assert moved.status == dst
    event = moved.events.last()
    assert (event.from_status, event.to_status, event.actor) == (src, dst, alice)
    if dst in (S.HOME, S.CLOSED):
        assert moved.final_at is not None


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_each_refused_transition(record, alice, src, dst):
    record = _at(record, src)
    with pytest.raises(ValidationError, match="cannot move"):
        services.victim_transition(
            actor=alice, record=record, to_status=dst, **DETAILS.get(dst, {})
        )
    assert VictimRecord.objects.get(pk=record.pk).status == src


@pytest.mark.parametrize("dst", sorted(SCREENING_STATUSES | OUTCOME_STATUSES))
def test_screening_statuses_are_not_set_by_hand(record, alice, dst):
    record = _at(record, S.RESCUED_OR_RELEASED if dst == S.SCREENED else S.SCREENED)
    with pytest.raises(ValidationError, match="Record a screening"):
        services.victim_transition(actor=alice, record=record, to_status=dst)


def test_step_details_are_required(record, alice):
    record = _at(record, S.IDENTIFIED_VICTIM)
    with pytest.raises(ValidationError) as err:
        services.victim_transition(actor=alice, record=record, to_status=S.REFERRED)
    assert {"referral_kind", "referral_to", "referral_date"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError, match="repatriation date"):
        services.victim_transition(actor=alice, record=record, to_status=S.REPATRIATION)
    with pytest.raises(ValidationError, match="why"):
        services.victim_transition(actor=alice, record=record, to_status=S.CLOSED)


def test_unknown_status_is_refused(record, alice):
    with pytest.raises(ValidationError, match="Unknown status"):
        services.victim_transition(actor=alice, record=record, to_status="teleported")


@pytest.mark.parametrize("outcome", ScreeningOutcome.values)
def test_screening_moves_to_screened_then_outcome(record, alice, outcome):
    record = screened(alice, record, outcome)
    assert record.status == outcome
    screening = record.screenings.get()
    assert screening.indicators == ["deception_recruitment", "forced_criminality"]
    moves = [(e.from_status, e.to_status) for e in record.events.filter(kind="screening")]
    assert moves == [(S.RESCUED_OR_RELEASED, S.SCREENED), (S.SCREENED, outcome)]


def test_screening_refused_before_rescue_and_with_unknown_indicator(record, alice):
    kw = {
        "interview_date": dt.date(2026, 1, 1),
        "place": "x",
        "screening_officer": "y",
        "outcome": "identified_victim",
        "outcome_reason": "z",
    }
    with pytest.raises(ValidationError, match="cannot move"):
        services.screening_record(actor=alice, record=record, **kw)
    record = _at(record, S.RESCUED_OR_RELEASED)
    with pytest.raises(ValidationError, match="Unknown indicator"):
        services.screening_record(actor=alice, record=record, indicators=["telepathy"], **kw)
    future = {**kw, "interview_date": dt.date.today() + dt.timedelta(days=5)}
    with pytest.raises(ValidationError, match="future"):
        services.screening_record(actor=alice, record=record, **future)
    assert not record.screenings.exists()


def test_only_owner_officers_write(record, bob, analyst, alpha_admin):
    for actor in (bob, analyst):
        with pytest.raises(PermissionDenied):
            services.victim_transition(actor=actor, record=record, to_status=S.LOCATED)
    # The delegation admin is an officer of the owner workspace too.
    services.victim_transition(actor=alpha_admin, record=record, to_status=S.LOCATED)


def test_create_defaults(alice):
    record = victim(alice)
    assert (record.tlp, record.police_access, record.shared_with_all) == (
        TLP.AMBER_STRICT,
        True,
        False,
    )
    assert record.status == S.REPORTED_MISSING
    assert record.nationality == "PH"  # the workspace's country
    assert record.events.get().kind == VictimEvent.Kind.CREATED


def test_create_needs_a_name_and_an_officer(alice, analyst, outsider):
    with pytest.raises(ValidationError, match="name"):
        services.victim_create(actor=alice)
    with pytest.raises(PermissionDenied):
        services.victim_create(actor=outsider, given_name="x")


# --- the consent gate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audience",
    [{"shared_with_all": True}, {"named": True}],
    ids=["all", "named"],
)
def test_sharing_beyond_owner_and_police_needs_consent_or_a_basis(record, alice, bravo, audience):
    kw = {
        "tlp": TLP.AMBER,
        "police_access": True,
        "shared_with_all": audience.get("shared_with_all", False),
        "workspaces": [bravo] if audience.get("named") else [],
    }
    with pytest.raises(ValidationError, match="consent"):
        services.victim_audience_set(actor=alice, record=record, **kw)
    record.refresh_from_db()
    assert not record.shared_with_all and not record.shared_with.exists()

    services.victim_consent_record(actor=alice, record=record, consent_given=True)
    shared = services.victim_audience_set(actor=alice, record=record, **kw)
    assert shared.shared_with_all or list(shared.shared_with.all()) == [bravo]


def test_lawful_basis_opens_the_gate_and_needs_a_note(record, alice, bravo):
    with pytest.raises(ValidationError, match="Explain"):
        services.victim_consent_record(
            actor=alice, record=record, consent_given=False, lawful_basis=LawfulBasis.VITAL_INTEREST
        )
    services.victim_consent_record(
        actor=alice,
        record=record,
        consent_given=False,
        lawful_basis=LawfulBasis.VITAL_INTEREST,
        lawful_basis_note="Credible threat to life",
    )
    shared = services.victim_audience_set(
        actor=alice,
        record=record,
        tlp=TLP.AMBER,
        police_access=True,
        shared_with_all=False,
        workspaces=[bravo],
    )
    assert list(shared.shared_with.all()) == [bravo]
    # Withdrawing the ground while shared wider is refused until the audience is narrowed.
    with pytest.raises(ValidationError, match="narrow"):
        services.victim_consent_record(actor=alice, record=record, consent_given=False)


def test_owner_and_police_or_owner_only_need_no_consent(record, alice):
    only = services.victim_audience_set(
        actor=alice, record=record, tlp=TLP.RED, police_access=False, shared_with_all=False
    )
    assert not only.police_access


def test_create_refuses_a_wide_audience_without_consent(alice):
    with pytest.raises(ValidationError, match="consent"):
        victim(alice, shared_with_all=True, tlp=TLP.AMBER)


def test_edit_identity_recomputes_the_passport_hash(record, alice):
    from victims.crypto import lookup_hash

    edited = services.victim_update(actor=alice, record=record, passport_number="XY 999")
    assert edited.passport_hash == lookup_hash("XY999")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.victim_update(actor=alice, record=record, status="home")
