"""The STIX 2.1 export: valid (OASIS validator, strict), marked, and never wider than the reader."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from stix2validator import ValidationOptions, validate_instance

from cases import services as case_services
from cases.models import CaseLead
from exchange.stix import stix_bundle_for
from indicators import services as ip_services
from indicators.models import IPReport
from sharing.choices import TLP
from sharing.services import audience_flags
from sharing.stix import TLP_MARKING_IDS, sco_id, stix_id
from tests.cases.factories import KBANK, make_lead
from tests.embassies.factories import session_client, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/stix/"
MARKING_TLP = {mid: TLP(level) for level, mid in TLP_MARKING_IDS.items()}

# Canary strings: they come only from alpha's owner-only records (or from free text that is
# never exported) and must never reach anyone else's bundle.
CANARY_IP = "45.12.99.77"
CANARY_COMPOUND = "Canary Compound Zeta"
CANARY_ALIAS = "zeta-canary-alias"
CANARY_PHONE = "+66812223344"
CANARY_NOTE = "canary-note Jane Victim"
CANARY_CASE = "Canary hidden case"


def assert_valid(stix: dict) -> None:
    result = validate_instance(stix, ValidationOptions(strict=True, version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


def api(user) -> APIClient:
    return token_client(user)


def by_type(stix: dict, stix_type: str) -> list[dict]:
    return [o for o in stix["objects"] if o["type"] == stix_type]


def ids(stix: dict) -> set[str]:
    return {o["id"] for o in stix["objects"]}


def record_id(stix_type: str, record) -> str:
    return stix_id(stix_type, type(record)._meta.label_lower, record.pk)


def tlp_of(obj: dict) -> TLP:
    (ref,) = obj["object_marking_refs"]
    return MARKING_TLP[ref]


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    ip_services._catalogue_cache.clear()
    yield
    ip_services._catalogue_cache.clear()


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Submit IP rows as `user` and run the matching the commit triggers, in-process."""

    def do(user, *addresses, audience="police", tlp=TLP.AMBER, workspaces=(), **row):
        rows = [
            {
                "row": n,
                "address": address,
                "seen_at": timezone.now() - timedelta(hours=1),
                "context": "scam_call",
                **row,
            }
            for n, address in enumerate(addresses, start=1)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = ip_services.ip_report_submit_batch(
                actor=user,
                rows=rows,
                tlp=tlp,
                workspaces=list(workspaces),
                **audience_flags(audience),
            )
        assert not result.errors, result.errors
        return list(IPReport.objects.filter(pk__in=result.created).order_by("pk"))

    return do


@pytest.fixture
def catalogue(platform_admin):
    """KK Park (coordinates, aliases) and a compound only alpha's owner-only report matches."""
    kk = ip_services.compound_save(
        actor=platform_admin,
        name="KK Park",
        aliases=["KK Garden"],
        country="MM",
        area="Myawaddy",
        latitude="16.75000",
        longitude="98.51000",
        status="active",
    )
    canary = ip_services.compound_save(
        actor=platform_admin,
        name=CANARY_COMPOUND,
        aliases=[CANARY_ALIAS],
        country="MM",
        area="Shwe Kokko",
        status="raided",
    )
    ip_services.evidence_save(
        actor=platform_admin, compound=kk, kind="prefix", network="45.12.64.0/22", confidence=80
    )
    ip_services.evidence_save(
        actor=platform_admin, compound=canary, kind="prefix", network="45.12.96.0/22"
    )
    return kk, canary


@pytest.fixture
def world(alice, bob, bravo, analyst, catalogue, submit):
    """alpha's records at every audience, bravo's one lead, and police cases."""
    kk, canary = catalogue
    (secret_ip,) = submit(alice, CANARY_IP, audience="owner", tlp=TLP.RED, note=CANARY_NOTE)
    (police_ip,) = submit(alice, "45.12.64.7", audience="police", tlp=TLP.GREEN)
    (all_ip,) = submit(alice, "45.12.64.9", audience="all", tlp=TLP.AMBER)
    (unmatched_ip,) = submit(alice, "2606:4700::1111", audience="all", tlp=TLP.CLEAR, port=443)
    secret_lead = make_lead(
        alice, fields={"number": CANARY_PHONE}, police=False, description=CANARY_NOTE
    )
    police_leads = [
        make_lead(alice, kind="bank_account", fields=dict(KBANK), tlp=TLP.AMBER_STRICT),
        make_lead(
            alice, kind="crypto_wallet", fields={"chain": "ETH", "address": "0x" + "ab" * 20}
        ),
        make_lead(alice, kind="person", fields={"names": "Wei Boss", "role": "boss"}),
        # The same address as alpha's police-shared report, under a stricter marking.
        make_lead(alice, kind="ip", fields={"address": "45.12.64.7"}, tlp=TLP.AMBER),
    ]
    shared_leads = [
        make_lead(
            alice, kind="domain", fields={"url": "https://scam-shop.example/pay?victim=778899"}
        ),
        make_lead(alice, kind="handle", fields={"platform": "Telegram", "handle": "@kkrecruit"}),
    ]
    for lead in shared_leads:
        lead.shared_with.add(bravo)
    bob_lead = make_lead(bob, police=False, tlp=TLP.GREEN)
    case = case_services.case_open(
        actor=analyst, title="KK Park call centre", leads=[police_leads[0], shared_leads[0]]
    )
    # A case whose only linked lead is alpha's owner-only one, and a visible case that also
    # links it (linked directly: the service links only leads the analyst can see).
    hidden_case = case_services.case_open(actor=analyst, title=CANARY_CASE, leads=[police_leads[1]])
    CaseLead.objects.create(case=case, lead=secret_lead, added_by=analyst)
    CaseLead.objects.filter(case=hidden_case).delete()
    CaseLead.objects.create(case=hidden_case, lead=secret_lead, added_by=analyst)
    for c in (case, hidden_case):
        c.shared_with.add(bravo)
    return {
        "kk": kk,
        "canary": canary,
        "secret_ip": secret_ip,
        "police_ip": police_ip,
        "all_ip": all_ip,
        "unmatched_ip": unmatched_ip,
        "secret_lead": secret_lead,
        "police_leads": police_leads,
        "shared_leads": shared_leads,
        "bob_lead": bob_lead,
        "case": case,
        "hidden_case": hidden_case,
    }


def _no_canary(body: str) -> None:
    for canary in (
        CANARY_IP,
        CANARY_COMPOUND,
        CANARY_ALIAS,
        CANARY_PHONE,
        CANARY_NOTE,
        CANARY_CASE,
    ):
        assert canary not in body, canary


@pytest.mark.parametrize("who", ["alice", "bob", "analyst", "outsider"])
def test_every_readers_bundle_is_valid(world, who, request):
    stix = stix_bundle_for(request.getfixturevalue(who))
    assert_valid(stix)
    assert len(ids(stix)) == len(stix["objects"])  # no object twice


def test_each_object_carries_its_records_marking_and_only_used_markings_come(world, analyst):
    stix = stix_bundle_for(analyst)
    assert_valid(stix)
    objects = {o["id"]: o for o in stix["objects"]}
    police_ip, bank = world["police_ip"], world["police_leads"][0]
    assert tlp_of(objects[record_id("indicator", police_ip)]) == TLP.GREEN
    assert tlp_of(objects[record_id("note", bank)]) == TLP.AMBER_STRICT
    assert tlp_of(objects[record_id("grouping", world["case"])]) == TLP.AMBER
    # The address of a GREEN report and an AMBER lead is one observable, marked AMBER.
    assert tlp_of(objects[sco_id("ipv4-addr", "45.12.64.7")]) == TLP.AMBER
    # An "indicates" reveals its report: the report's marking. The catalogue is GREEN.
    indicates = stix_id("relationship", "indicates", police_ip.pk, world["kk"].pk)
    assert tlp_of(objects[indicates]) == TLP.GREEN
    assert tlp_of(objects[stix_id("infrastructure", "compound", world["kk"].pk)]) == TLP.GREEN
    assert tlp_of(objects[stix_id("location", "compound", world["kk"].pk)]) == TLP.GREEN
    # Every object but identities and markings has exactly one marking ...
    used = set()
    for obj in stix["objects"]:
        if obj["type"] in ("marking-definition", "identity"):
            continue
        assert len(obj["object_marking_refs"]) == 1, obj["id"]
        used |= set(obj["object_marking_refs"])
    # ... and the bundle holds exactly the marking-definitions used.
    assert {o["id"] for o in by_type(stix, "marking-definition")} == used
    assert TLP_MARKING_IDS[TLP.RED] not in used  # the RED report is alpha's own


def test_bundle_contents_per_kind(world, alice):
    stix = stix_bundle_for(alice)
    objects = {o["id"]: o for o in stix["objects"]}
    indicator = objects[record_id("indicator", world["police_ip"])]
    assert indicator["pattern"] == "[ipv4-addr:value = '45.12.64.7']"
    assert indicator["created_by_ref"] == stix_id(
        "identity", "workspace", world["police_ip"].workspace_id
    )
    v6 = objects[record_id("indicator", world["unmatched_ip"])]
    assert (
        v6["pattern"] == "[ipv6-addr:value = '2606:4700::1111']" and "Port 443" in v6["description"]
    )
    assert sco_id("ipv6-addr", "2606:4700::1111") in objects
    infrastructure = objects[stix_id("infrastructure", "compound", world["kk"].pk)]
    assert infrastructure["name"] == "KK Park" and infrastructure["aliases"] == ["KK Garden"]
    location = objects[stix_id("location", "compound", world["kk"].pk)]
    assert (location["latitude"], location["longitude"], location["country"]) == (
        16.75,
        98.51,
        "MM",
    )
    located = [r for r in by_type(stix, "relationship") if r["relationship_type"] == "located-at"]
    assert {(r["source_ref"], r["target_ref"]) for r in located} >= {
        (infrastructure["id"], location["id"])
    }
    domain = objects[sco_id("domain-name", "scam-shop.example")]
    assert domain["value"] == "scam-shop.example"
    notes = {n["abstract"]: n for n in by_type(stix, "note")}
    assert {
        "Phone number",
        "Bank account",
        "Crypto wallet",
        "Social or messaging handle",
        "Person",
    } <= set(notes)
    assert "Account number: 1234567890" in notes["Bank account"]["content"]
    assert "telegram" in notes["Social or messaging handle"]["content"]
    # The owner sees her owner-only records, but never the free text (notes, descriptions).
    assert CANARY_IP in json.dumps(stix) and CANARY_NOTE not in json.dumps(stix)
    assert "victim=778899" not in json.dumps(stix)  # the URL as typed stays out
    assert not by_type(stix, "grouping")  # cases are the police workspace's


def test_bob_gets_what_is_shared_with_bravo_and_nothing_of_alphas_owner_only(world, bob):
    response = api(bob).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    _no_canary(body)
    stix = json.loads(body)
    assert_valid(stix)
    found = ids(stix)
    assert record_id("indicator", world["secret_ip"]) not in found
    assert record_id("note", world["secret_lead"]) not in found
    assert stix_id("infrastructure", "compound", world["canary"].pk) not in found
    assert record_id("indicator", world["police_ip"]) not in found  # police only
    assert record_id("indicator", world["all_ip"]) in found
    assert stix_id("infrastructure", "compound", world["kk"].pk) in found  # via all_ip
    assert record_id("indicator", world["shared_leads"][0]) in found
    assert record_id("note", world["bob_lead"]) in found
    # The case shared with bravo groups only the leads bob may see; the other has none.
    grouping = {g["id"]: g for g in by_type(stix, "grouping")}
    assert set(grouping) == {record_id("grouping", world["case"])}
    refs = set(grouping[record_id("grouping", world["case"])]["object_refs"])
    assert refs == {
        sco_id("domain-name", "scam-shop.example"),
        record_id("indicator", world["shared_leads"][0]),
    }


def test_analyst_gets_police_visible_records_but_not_owner_only(world, analyst):
    stix = stix_bundle_for(analyst)
    body = json.dumps(stix)
    _no_canary(body)
    found = ids(stix)
    assert record_id("indicator", world["police_ip"]) in found
    assert {record_id("note", lead) for lead in world["police_leads"][:3]} <= found
    assert record_id("note", world["bob_lead"]) not in found  # bravo's owner-only
    assert record_id("grouping", world["hidden_case"]) not in found
    grouping = next(g for g in by_type(stix, "grouping") if g["name"] == "KK Park call centre")
    assert grouping["context"] == "suspicious-activity"
    assert set(grouping["object_refs"]) == {
        record_id("note", world["police_leads"][0]),
        sco_id("domain-name", "scam-shop.example"),
        record_id("indicator", world["shared_leads"][0]),
    }


def test_outsider_gets_an_empty_valid_bundle(world, outsider):
    # An account without a role holds no API token: it comes in by a verified session.
    response = session_client(outsider).get(URL)
    assert response.status_code == 200
    stix = response.json()
    assert_valid(stix)
    assert stix["objects"] == []


def test_ids_are_stable_across_exports(world, analyst):
    first, second = stix_bundle_for(analyst), stix_bundle_for(analyst)
    assert first["objects"] == second["objects"]
    assert first["id"] != second["id"]  # each bundle is one transmission


def test_since_and_types_narrow_the_bundle(world, analyst, alice):
    later = make_lead(alice, kind="person", fields={"names": "Late Lead"})
    since = later.created_at
    stix = stix_bundle_for(analyst, since=since)
    assert_valid(stix)
    assert [n["id"] for n in by_type(stix, "note")] == [record_id("note", later)]
    assert not by_type(stix, "indicator")
    notes_only = stix_bundle_for(analyst, types=["note"])
    assert_valid(notes_only)
    assert {o["type"] for o in notes_only["objects"]} == {"note", "identity", "marking-definition"}
    response = api(analyst).get(URL, {"types": "note,grouping", "since": since.isoformat()})
    assert response.status_code == 200
    assert {o["type"] for o in response.json()["objects"]} <= {
        "note",
        "grouping",
        "identity",
        "marking-definition",
    }
    assert api(analyst).get(URL, {"types": "victim"}).status_code == 400
    assert api(analyst).get(URL, {"since": "yesterday"}).status_code == 400


def _make_records(n, alice, analyst, submit, offset):
    reports = submit(alice, *[f"45.12.64.{offset + i}" for i in range(n)])
    leads = [make_lead(alice) for _ in range(n)]
    for i in range(n):
        case_services.case_open(actor=analyst, title=f"case {offset + i}", leads=[leads[i]])
    return reports, leads


def test_query_count_is_constant_whatever_the_number_of_records(alice, analyst, catalogue, submit):
    _make_records(3, alice, analyst, submit, offset=10)
    with CaptureQueriesContext(connection) as few:
        small = stix_bundle_for(analyst)
    _make_records(7, alice, analyst, submit, offset=20)
    with CaptureQueriesContext(connection) as many:
        large = stix_bundle_for(analyst)
    assert len(by_type(large, "grouping")) == 10 and len(by_type(small, "grouping")) == 3
    assert len(many.captured_queries) == len(few.captured_queries) <= 5


def test_token_and_verified_session_work_and_signed_out_is_refused(world, alice, as_user):
    response = api(alice).get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    assert_valid(json.loads(response.content))
    as_json = api(alice).get(URL, HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"
    assert as_user(alice).get(URL).status_code == 200
    assert APIClient().get(URL).status_code in (401, 403)


def test_home_page_links_the_export(alice, as_user):
    assert URL in as_user(alice).get("/").content.decode()
