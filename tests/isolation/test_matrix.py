"""The tenant-isolation matrix: every page and API operation x every role x every object the
role may not see, generated from the URLconf and the OpenAPI schema.

`make isolation` runs it in full (ISOLATION_FULL=1) and prints the probe counts; `make test`
runs the same probes with one foreign object per (operation, role, parameter).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.conftest import verified_client

from . import endpoints
from .probe import Finding, Prober, _diff, snapshot
from .world import add_hidden_records, build

pytestmark = pytest.mark.isolation

FULL = bool(os.environ.get("ISOLATION_FULL"))


def test_every_endpoint_is_classified(db):
    """A new page or API operation is covered without editing the matrix; one whose URL
    parameters or id-like body fields the matrix cannot read fails here."""
    inventory = endpoints.inventory()
    assert inventory.unclassified == []
    paths = {op.path for op in inventory.ops}
    # The inventory is read from the URLconf and schema, not typed in: spot-check both.
    assert "/victims/{pk}/" in paths
    assert "/api/v1/victims/{id}/consent/" in paths


@pytest.fixture
def cast(alice, alpha_admin, bob, bravo_admin, analyst, platform_admin, outsider):
    return {
        "alice": alice,
        "alpha_admin": alpha_admin,
        "bob": bob,
        "bravo_admin": bravo_admin,
        "analyst": analyst,
        "platform_admin": platform_admin,
        "outsider": outsider,
    }


def _search_terms(world):
    terms: dict[str, list] = {}
    for obj in world.objects:
        for value, nobody in obj.search:
            terms.setdefault(nobody, []).append((value, obj))
    return terms


def invariance(prober: Prober, ops, add_hidden) -> None:
    """Counts, statistics, pages and exports must not move when records the viewer may not
    see are added: each role reads everything twice (to learn what changes by itself, like an
    audit log of those very reads), then again after records are added where it cannot see."""
    for role in prober.world.roles:
        if role.user is None:
            continue
        first = prober.reads(role, ops)
        second = prober.reads(role, ops)
        stable = {url for url in first if first[url] == second.get(url)}
        owner = "alpha" if role.workspace == "bravo" else "bravo"
        sid = transaction.savepoint()
        try:
            add_hidden(owner)
            third = prober.reads(role, ops)
        finally:
            transaction.savepoint_rollback(sid)
        for url in sorted(stable):
            if third.get(url) != second[url]:
                prober.tally.findings.append(
                    Finding(
                        "leak",
                        role.name,
                        url,
                        f"changed when {owner} added records the role may not see"
                        + _diff(third[url], second[url]),
                    )
                )


def run_matrix(world, *, sample: int | None, only: str = "", add_hidden=None) -> Prober:
    # The clock stands still while the probes run. Answers are compared byte for byte, and
    # elapsed-time figures (a freeze request's age in seconds, "overdue") would tick between
    # two reads that must be equal.
    with time_machine.travel(timezone.now(), tick=False):
        return _run_matrix(world, sample=sample, only=only, add_hidden=add_hidden)


def _run_matrix(world, *, sample: int | None, only: str, add_hidden) -> Prober:
    clients = {
        r.name: (verified_client(r.user) if r.user is not None else Client()) for r in world.roles
    }
    prober = Prober(world, clients, sample=sample)
    inventory = endpoints.inventory()
    ops = inventory.ops
    only = only or os.environ.get("ISOLATION_ONLY", "")  # a regex, to rerun some operations
    if only:
        ops = [op for op in ops if re.search(only, op.key)]
    prober.harvest([op for op in ops if op.surface == "page"])
    for op in ops:
        before = snapshot()
        prober.object_probes(op)
        prober.body_probes(op)
        if snapshot() != before:
            prober.tally.findings.append(
                Finding("write", "*", op.key, "refused probes changed the database")
            )
    if add_hidden is not None:
        invariance(prober, ops, add_hidden)
    terms = _search_terms(world)
    for op in ops:
        prober.collection_probes(op, terms)
        prober.visible_probes(op)
    # Notifications sent by e-mail while the world was built and probed.
    for role in world.roles:
        if role.user is None:
            continue
        for message in mail.outbox:
            if role.user.email not in message.to:
                continue
            text = message.subject + message.body
            for value, obj in world.hidden_strings(role):
                if value in text:
                    prober.tally.findings.append(
                        Finding("leak", role.name, "e-mail", f"{message.subject!r} shows {value}")
                    )
        prober.tally.probes["e-mail"] += 1
    return prober


def report(prober: Prober, elapsed: float) -> str:
    t = prober.tally
    lines = ["", "Isolation matrix", "-" * 60]
    for kind, n in sorted(t.probes.items()):
        lines.append(f"  {kind:<28}{n:>8}")
    total = sum(t.probes.values())
    lines += [
        "-" * 60,
        f"  {'probes':<28}{total:>8}   over {len(t.ops)} operations, {elapsed:.0f} s",
        f"  {'leaks (canary shown)':<28}{t.count('leak'):>8}",
        f"  {'existence oracles':<28}{t.count('oracle'):>8}",
        f"  {'cross-tenant writes':<28}{t.count('write'):>8}",
        f"  {'wrong status':<28}{t.count('status'):>8}",
        f"  {'server errors':<28}{t.count('error'):>8}",
    ]
    by = Counter((f.kind, f.op) for f in t.findings)
    for (kind, op), n in by.most_common(40):
        example = next(f for f in t.findings if f.kind == kind and f.op == op)
        lines.append(f"  ! {kind:<7} {op}  x{n}  e.g. [{example.role}] {example.detail[:400]}")
    return "\n".join(lines)


def test_no_record_is_seen_outside_its_audience(cast, django_capture_on_commit_callbacks):
    world = build(cast, django_capture_on_commit_callbacks)
    started = time.monotonic()
    prober = run_matrix(
        world,
        sample=None if FULL else 1,
        add_hidden=lambda owner: add_hidden_records(
            cast, owner, django_capture_on_commit_callbacks
        ),
    )
    text = report(prober, time.monotonic() - started)
    print(text)
    total = sum(prober.tally.probes.values())
    if FULL:
        assert total >= 10_000, text
    assert prober.tally.findings == [], text


def test_the_matrix_catches_planted_flaws(cast, django_capture_on_commit_callbacks, settings):
    """The matrix is only worth its zero if it can fail: plant a leak, an existence oracle, a
    cross-tenant write, a count over hidden records and an endpoint it cannot read, and it
    reports each."""
    settings.ROOT_URLCONF = "tests.isolation.leaky_urls"
    rules = [(r"^/leaky", "pk", "lead"), *endpoints.PARAM_RULES]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(endpoints, "PARAM_RULES", rules)
        assert endpoints.inventory().unclassified == [
            "GET /leaky-gadgets/{gadget_id}/: parameter {gadget_id} names no known kind",
            "POST /leaky-gadgets/{gadget_id}/: parameter {gadget_id} names no known kind",
        ]
        world = build(cast, django_capture_on_commit_callbacks)
        prober = run_matrix(
            world,
            sample=1,
            only=r"/leaky(-oracle|-write|-count)?/",
            add_hidden=lambda owner: add_hidden_records(
                cast, owner, django_capture_on_commit_callbacks
            ),
        )
    found = {(f.kind, f.op) for f in prober.tally.findings}
    assert ("leak", "GET /leaky/{pk}/") in found
    assert ("status", "GET /leaky/{pk}/") in found
    assert ("oracle", "GET /leaky-oracle/{pk}/") in found
    assert ("write", "POST /leaky-write/{pk}/") in found
    assert ("leak", "GET /leaky-oracle/{pk}/") not in found  # it showed nothing
    assert ("leak", "/leaky-count/") in found
