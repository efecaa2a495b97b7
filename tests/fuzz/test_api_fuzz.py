"""schemathesis against our own OpenAPI schema, in-process, bounded by FUZZ_SECONDS.

`make fuzz` (FUZZ_SECONDS=600) or `FUZZ_SECONDS=120 make fuzz` (the CI form). Skipped unless
FUZZ_SECONDS is set.

What it does: loads /api/schema/ from the Django WSGI application (`schemathesis.openapi.
from_wsgi`), seeds the database with `seed_demo` (real delegations, IP reports, matches,
leads, a case, victim records), then, signed in as each role (an officer of one delegation,
a police analyst, a platform admin, and signed-out), sends schemathesis-generated requests to
every operation, reads as well as writes, in positive mode (valid per the schema) and
negative mode (invalid per the schema). Half the requests of an operation with an id in its
path use an id that exists, so the handlers behind the 404 are reached too.

Checks on every response:
* `not_a_server_error` (schemathesis): no 5xx;
* `four_xx_has_message` (ours): a 4xx answer is JSON with a human-readable `detail` or field
  errors, never empty;
* `response_schema_conformance` and `content_type_conformance` (schemathesis): a documented
  answer matches the schema (our schema documents only the success codes, so error bodies
  are covered by our own check instead).

Time: a wall-clock budget, FUZZ_SECONDS from the start of the module minus a reserve for the
database teardown, split evenly across (role, operation) slots; time a slot does not use
passes to the next. Within a slot hypothesis runs in short rounds (`max_examples` per round,
fresh random seed each) until the slot's time is up, so the run ends on time whatever the
speed of the machine. Problems are collected (not raised inside hypothesis, so nothing is
shrunk and every distinct problem is listed), a summary table is printed, and the test fails
if any 5xx, message-less 4xx or schema mismatch was seen.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, ServerError
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from indicators import services
from victims.choices import VictimStatus

STARTED = time.monotonic()
FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS") or 0)
# Left at the end for flushing the database and printing; the rest is for requests.
RESERVE_SECONDS = min(20.0, FUZZ_SECONDS * 0.1)
EXAMPLES_PER_ROUND = 15
SAMPLES_PER_PROBLEM = 3

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(not FUZZ_SECONDS, reason="set FUZZ_SECONDS to fuzz the API (make fuzz)"),
]

# Who fuzzes: the demo cast of seed_demo. Weight: share of the time.
ROLES = {
    "officer": ("officer@china.demo", 1.0),
    "analyst": ("analyst@police.demo", 1.0),
    "platform_admin": ("admin@demo.exchange", 1.0),
    "signed_out": (None, 0.2),
}


# --- the checks ------------------------------------------------------------------------------


class MissingErrorMessage(Failure):
    """A 4xx answer a client cannot explain to its user."""

    kind_title = "4xx without a message"


def _has_text(value: Any) -> bool:
    """A human-readable message: non-blank strings all the way down the error body."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        # A list serializer's errors hold {} for each item that was fine.
        flagged = [v for v in value if v != {}]
        return bool(flagged) and all(_has_text(v) for v in flagged)
    if isinstance(value, dict):
        return bool(value) and all(_has_text(v) for v in value.values())
    return False


@schemathesis.check
def four_xx_has_message(ctx, response, case) -> bool | None:
    """A 4xx answer is JSON with a `detail` or field errors, each a non-blank text."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        body = None
        problem = f"{response.status_code} with a body that is not JSON: {response.content[:80]!r}"
    else:
        problem = f"{response.status_code} without a message: {body!r:.120}"
    if not _has_text(body):
        raise MissingErrorMessage(operation=case.operation.label, message=problem)
    return True


CHECKS = [
    not_a_server_error,
    four_xx_has_message,
    response_schema_conformance,
    content_type_conformance,
]


# --- bookkeeping -------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: int = 0
    no_message: int = 0
    nonconforming: int = 0


@dataclass
class Problems:
    samples: dict[tuple[str, str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, role: str, label: str, kind: str, key: str, detail: str) -> None:
        bucket = self.samples[(label, kind, key)]
        if len(bucket) < SAMPLES_PER_PROBLEM:
            bucket.append(f"[{role}] {detail}")


_exceptions: list[str] = []


def _record_exception(sender, request=None, **kwargs) -> None:
    _exceptions.append("".join(traceback.format_exception(*sys.exc_info())))


# --- the run -----------------------------------------------------------------------------------


def _session_cookies(email: str | None) -> dict[str, str]:
    """Cookies of a verified browser session, and a CSRF token pair for the writes.

    A session rather than an API token: it does not depend on how tokens are issued.
    """
    csrf = secrets.token_hex(16)  # 32 characters, a valid unmasked CSRF secret
    cookies = {settings.CSRF_COOKIE_NAME: csrf}
    if email is None:
        return cookies
    from embassies.models import User

    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return cookies


def _known_path_parameters() -> dict[str, list[Any]]:
    """Ids that exist, per path segment before the parameter (e.g. "cases" -> case ids)."""
    from cases.models import AccessRequest, Case, FreezeRequest, Lead
    from embassies.models import User, Workspace
    from indicators.models import Compound, IPReport, Match
    from victims.models import VictimRecord

    def ids(model) -> list[int]:
        return list(model.objects.order_by("?").values_list("pk", flat=True)[:6])

    return {
        "cases": ids(Case),
        "leads": ids(Lead),
        "freeze-requests": ids(FreezeRequest),
        "ip-reports": ids(IPReport),
        "reports": ids(IPReport),
        "ip-matches": ids(Match),
        "compounds": ids(Compound),
        "victims": ids(VictimRecord),
        "access-requests": ids(AccessRequest),
        "workspaces": list(Workspace.objects.values_list("slug", flat=True)[:6]),
        "users": list(User.objects.order_by("?").values_list("email", flat=True)[:6]),
    }


# Body fields that name another record, and the pool of existing values they take.
BODY_REFERENCES = {
    "via_lead": "leads",
    "lead": "leads",
    "report": "reports",
    "victim": "victims",
    "assignee": "users",
}
# A lead's `fields` depend on its kind (one JSON object in the schema): valid ones, so that a
# submission gets past validation to the service now and then.
LEAD_FIELDS = [
    ("phone", {"number": "+66 81 234 5678"}),
    ("bank_account", {"bank": "KBank", "account_number": "123-4-56789-0"}),
    ("crypto_wallet", {"chain": "TRON", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}),
    ("domain", {"url": "https://scam-shop.example/login"}),
    ("handle", {"platform": "telegram", "handle": "@scam_boss"}),
    ("person", {"names": "Wang Wei", "role": "recruiter"}),
    ("ip", {"address": "45.12.0.9"}),
]


def _with_existing_references(strategy, known: dict[str, list[Any]]):
    """Half of the bodies get references to records that exist (a lead id, a user's e-mail,
    workspace slugs), so the handlers behind "no such lead" are reached too."""

    @st.composite
    def build(draw):
        case = draw(strategy)
        body = case.body
        if not isinstance(body, dict) or not draw(st.booleans()):
            return case
        for name, pool in BODY_REFERENCES.items():
            if name in body and known.get(pool):
                body[name] = draw(st.sampled_from(known[pool]))
        if isinstance(body.get("leads"), list) and known.get("leads"):
            body["leads"] = draw(st.lists(st.sampled_from(known["leads"]), max_size=3))
        if isinstance(body.get("shared_with"), list) and known.get("workspaces"):
            body["shared_with"] = draw(st.lists(st.sampled_from(known["workspaces"]), max_size=2))
        if "fields" in body and "kind" in body:
            body["kind"], body["fields"] = draw(st.sampled_from(LEAD_FIELDS))
        if "to_status" in body and "/victims/" in case.operation.path:
            body["to_status"] = draw(st.sampled_from(VictimStatus.values))
        return case

    return build()


def _strategy(operation, mode, known: dict[str, list[Any]]):
    """Generated cases; half of them with path ids that exist (when the operation has any)."""
    random_case = _with_existing_references(operation.as_strategy(generation_mode=mode), known)
    segments = operation.path.strip("/").split("/")
    names = [s[1:-1] for s in segments if s.startswith("{")]
    if not names:
        return random_case
    choices: list[dict[str, Any]] = []
    for _ in range(6):
        fixed = {}
        for i, segment in enumerate(segments):
            if segment.startswith("{"):
                pool = known.get(segments[i - 1], [])
                if pool:
                    fixed[segment[1:-1]] = secrets.choice(pool)
        if fixed:
            choices.append(fixed)
    if not choices:
        return random_case
    existing = st.one_of(
        *(
            _with_existing_references(
                operation.as_strategy(generation_mode=mode, path_parameters=c), known
            )
            for c in choices
        )
    )
    return st.one_of(random_case, existing)


def _fuzz_slot(
    *,
    operation,
    role: str,
    cookies: dict[str, str],
    deadline: float,
    known: dict[str, list[Any]],
    tally: Tally,
    problems: Problems,
) -> None:
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    strategies = [_strategy(operation, mode, known) for mode in modes]
    headers = {"X-CSRFToken": cookies[settings.CSRF_COOKIE_NAME]}
    round_number = 0
    while strategies and time.monotonic() < deadline:
        strategy = strategies[round_number % len(strategies)]
        round_number += 1

        @hsettings(
            max_examples=EXAMPLES_PER_ROUND,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,  # an Unsatisfiable round (caught below) prints a seed
        )
        @given(case=strategy)
        def run(case) -> None:
            if time.monotonic() >= deadline:
                return
            del _exceptions[:]
            response = case.call(headers=headers, cookies=cookies)
            tally.requests += 1
            tally.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                _record(role, case, response, group.exceptions, tally, problems)

        try:
            run()
        except Unsatisfiable:
            # No negative case exists for some operations (nothing in them can be invalid).
            strategies.remove(strategy)


def _record(role, case, response, failures, tally: Tally, problems: Problems) -> None:
    kinds = set()
    for failure in failures:
        if isinstance(failure, ServerError) or response.status_code >= 500:
            kind = "5xx"
            detail = _exceptions[-1] if _exceptions else failure.message
            key = detail.strip().splitlines()[-1]
        elif isinstance(failure, MissingErrorMessage):
            kind = "4xx-no-message"
            key = detail = failure.message
        else:
            kind = "schema"
            lines = failure.message.splitlines()
            where = next((ln for ln in lines if ln.startswith("Schema at")), "")
            key = detail = f"{failure.title}: {lines[0] if lines else ''} {where}"
        kinds.add(kind)
        problems.add(role, case.operation.label, kind, key, f"{detail}\n{_curl(case)}")
    tally.server_errors += "5xx" in kinds
    tally.no_message += "4xx-no-message" in kinds
    tally.nonconforming += "schema" in kinds


def _curl(case) -> str:
    try:
        return case.as_curl_command()
    except Exception:  # a repro line is a courtesy; never mask the problem itself
        return f"{case.method} {case.formatted_path} body={case.body!r:.300}"


@pytest.fixture
def seeded(transactional_db, monkeypatch):
    # Throttling would turn most answers into 429 after a few thousand requests per user.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": None})
    services._catalogue_cache.clear()  # compiled by earlier tests for rolled-back catalogues
    call_command("seed_demo", "--quiet-users")
    # 400s and 404s are the point here; their log lines would bury the summary.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_api_fuzz(seeded):
    # The handler itself: get_wsgi_application() would run django.setup() again, and its
    # logging configuration would undo the quieter level set in the fixture.
    app = WSGIHandler()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    # Signed in by session cookie: a generated Authorization header would only hide that.
    schema.config.generation.update(with_security_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    cookies = {role: _session_cookies(email) for role, (email, _w) in ROLES.items()}
    for role, (email, _w) in ROLES.items():  # or every answer would be a 401
        probe = Client()
        for name, value in cookies[role].items():
            probe.cookies[name] = value
        assert probe.get("/api/v1/me/").status_code == (200 if email else 401), role
    got_request_exception.connect(_record_exception)
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    problems = Problems()
    slots = [(role, op) for role in ROLES for op in operations]
    # FUZZ_SECONDS bounds the whole run (start-up and seeding included), but the requests get
    # at least half of it even when other tests ran first in the same session.
    end = max(STARTED + FUZZ_SECONDS - RESERVE_SECONDS, time.monotonic() + FUZZ_SECONDS / 2)
    weight_left = sum(ROLES[role][1] for role, _ in slots)
    fuzz_started = time.monotonic()
    try:
        for role, operation in slots:
            weight = ROLES[role][1]
            share = (end - time.monotonic()) * weight / weight_left
            weight_left -= weight
            if share <= 0:
                continue
            _fuzz_slot(
                operation=operation,
                role=role,
                cookies=cookies[role],
                deadline=time.monotonic() + share,
                known=_known_path_parameters(),
                tally=tallies[(role, operation.label)],
                problems=problems,
            )
    finally:
        got_request_exception.disconnect(_record_exception)
    _print_summary(operations, tallies, problems, time.monotonic() - fuzz_started)
    failing = [t for t in tallies.values() if t.server_errors or t.no_message or t.nonconforming]
    assert not failing, f"{len(problems.samples)} distinct problems; see the list above"
    if FUZZ_SECONDS >= 60:  # a budget that short may not reach every operation
        missed = [
            op.label for op in operations if not any(tallies[(r, op.label)].requests for r in ROLES)
        ]
        assert not missed, f"operations never fuzzed: {missed}"


def _print_summary(operations, tallies, problems, elapsed: float) -> None:
    by_op: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    for (_role, label), t in tallies.items():
        for into in (by_op[label], total):
            into.requests += t.requests
            into.statuses.update(t.statuses)
            into.server_errors += t.server_errors
            into.no_message += t.no_message
            into.nonconforming += t.nonconforming

    def row(name: str, t: Tally) -> str:
        ok = sum(n for code, n in t.statuses.items() if code < 300)
        other = sum(n for code, n in t.statuses.items() if 400 <= code < 500) - sum(
            t.statuses[c] for c in (400, 401, 403, 404)
        )
        return (
            f"{name:<48} {t.requests:>8} {ok:>6} {t.statuses[400]:>5} {t.statuses[401]:>5} "
            f"{t.statuses[403]:>5} {t.statuses[404]:>5} {other:>5} {t.server_errors:>5} "
            f"{t.no_message:>9} {t.nonconforming:>6}"
        )

    header = (
        f"{'operation':<48} {'requests':>8} {'2xx':>6} {'400':>5} {'401':>5} {'403':>5} "
        f"{'404':>5} {'4xx*':>5} {'5xx':>5} {'4xx-nomsg':>9} {'schema':>6}"
    )
    print()
    print(
        f"API fuzz ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}): "
        f"{len(operations)} operations x {len(ROLES)} roles ({', '.join(ROLES)}) "
        f"in {elapsed:.0f} s of requests"
    )
    print(header)
    print("-" * len(header))
    for op in operations:
        print(row(op.label, by_op[op.label]))
    print("-" * len(header))
    fuzzed = sum(1 for t in by_op.values() if t.requests)
    print(row(f"TOTAL: {fuzzed} operations fuzzed", total))
    print("(4xx* = other 4xx: 405, 406, 409, 415, ...; every 5xx and schema mismatch is listed)")
    if problems.samples:
        print()
        print(f"Problems ({len(problems.samples)} distinct, up to {SAMPLES_PER_PROBLEM} samples):")
        for (label, kind, key), samples in sorted(problems.samples.items()):
            print(f"== {kind} in {label}: {key}")
            for sample in samples:
                print("   " + sample.replace("\n", "\n   "))
