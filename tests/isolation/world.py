"""The world the isolation matrix probes: every kind of object, in every audience shape.

Each object carries a unique canary string in a field its pages and API show, and the test
knows, from the audience it *asked for* (not from `visible_to`, the code under test), who may
see it. Ids come from a separate range per kind (710001 for IP reports, 720001 for leads ...),
so an id of one kind never exists in another kind's table and an id can be told apart from
any other number in a response.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from cases import services as case_services
from cases.models import AccessRequest, Case, CaseTask, FreezeRequest, Lead, LeadComment
from embassies import services as embassy_services
from embassies.choices import WorkspaceRole
from embassies.models import Invitation, User, Workspace
from indicators import services as ip_services
from indicators.models import Compound, IPReport, Match, NetworkEvidence, UploadJob, WarnListEntry
from sharing.choices import TLP
from sharing.services import audience_set
from tests.cases.factories import bank_lead
from tests.embassies.factories import DelegationFactory, UserFactory, WorkspaceFactory
from victims import services as victim_services
from victims.models import VictimRecord

# First id of each kind: far apart, six digits, so ids are recognisable in any response.
ID_BASE = {
    IPReport: 710_001,
    Lead: 720_001,
    Case: 730_001,
    VictimRecord: 740_001,
    Match: 750_001,
    FreezeRequest: 760_001,
    AccessRequest: 770_001,
    CaseTask: 780_001,
    UploadJob: 790_001,
    Compound: 810_001,
    NetworkEvidence: 820_001,
    WarnListEntry: 830_001,
    Invitation: 850_001,
    LeadComment: 860_001,
}
# An id no table holds (each kind's range starts below it and holds a few dozen rows).
MISSING_ID = 999_999

RECORD_KINDS = ("ip_report", "lead", "case", "victim")
# Kinds whose existence is no secret (the catalogue): writes are checked, not existence.
PUBLIC_KINDS = ("compound", "evidence", "warn_entry")


@dataclass(frozen=True)
class Role:
    name: str
    user: User | None  # None: signed out
    workspace: str | None = None  # slug
    analyst: bool = False
    platform_admin: bool = False
    ws_admin: bool = False
    curator: bool = False


@dataclass
class Obj:
    """An object in the world and the audience the test gave it."""

    kind: str
    pk: int | str
    owner: str | None  # owner workspace slug
    police: bool = False
    named: frozenset[str] = frozenset()
    everyone: bool = False
    canary: str = ""
    parent: Obj | None = None
    # Extra workspaces that see the object's content (an access request's requester).
    seen_by: frozenset[str] = frozenset()
    secondary: tuple[str, ...] = ()  # other distinctive values (addresses)
    owner_user: str = ""  # e-mail of the user who owns it (API tokens)
    search: tuple[tuple[str, str], ...] = ()  # (value, a same-shaped value nobody reported)

    def label(self) -> str:
        shape = "+".join(
            [self.owner or "-"]
            + (["police"] if self.police else [])
            + sorted(self.named)
            + (["all"] if self.everyone else [])
        )
        return f"{self.kind}#{self.pk}[{shape}]"


def sees(obj: Obj, role: Role) -> bool:
    """The oracle: may `role` see `obj`? Written from DESIGN.md, not from the app's code."""
    if role.user is None:
        return False
    if obj.kind in PUBLIC_KINDS:
        return bool(role.workspace or role.platform_admin)
    if obj.parent is not None and obj.kind in ("match", "freeze", "case_task", "comment"):
        return sees(obj.parent, role)
    if obj.kind in RECORD_KINDS:
        ws = role.workspace
        return bool(
            (ws and ws == obj.owner)
            or (role.analyst and obj.police)
            or (ws and ws in obj.named)
            or (ws and obj.everyone)
        )
    if obj.kind == "upload_job":
        return role.workspace == obj.owner
    if obj.kind == "access_request":
        return role.workspace == obj.owner or role.workspace in obj.seen_by
    if obj.kind == "api_token":
        # Its owner, and whoever manages the owner's workspace.
        return (
            role.user.email == obj.owner_user
            or role.platform_admin
            or (role.ws_admin and role.workspace == obj.owner)
        )
    if obj.kind in ("workspace", "member", "invitation"):
        # Member management: the workspace's own admins and platform admins.
        return role.platform_admin or (role.ws_admin and role.workspace == obj.owner)
    raise AssertionError(f"no rule for kind {obj.kind}")


def addressable(obj: Obj, role: Role) -> bool:
    """May `role` act on `obj` through a URL naming it? Content visibility, except that an
    access request is decided by the owner workspace only."""
    if obj.kind == "access_request":
        return role.workspace == obj.owner
    return sees(obj, role)


@dataclass
class World:
    roles: list[Role]
    objects: list[Obj] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]

    def foreign(self, kind: str, role: Role) -> list[Obj]:
        return [o for o in self.of_kind(kind) if not addressable(o, role)]

    def own(self, kind: str, role: Role) -> Obj | None:
        """An object of `kind` the role may act on (the parent of a probe on a child)."""
        for o in self.of_kind(kind):
            if addressable(o, role):
                return o
        return None

    def hidden_strings(self, role: Role) -> list[tuple[str, Obj]]:
        out = []
        for o in self.objects:
            if not sees(o, role):
                out += [(s, o) for s in (o.canary, *o.secondary) if s]
        return out

    def by_pk(self, kind: str, pk: int | str) -> Obj:
        return next(o for o in self.of_kind(kind) if o.pk == pk)


_canaries = itertools.count(1)


def canary(kind: str) -> str:
    return f"CNRY{kind.replace('_', '').upper()[:6]}{next(_canaries):04d}Q"


def _start_ids_of(model, start: int) -> None:
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, start])
        else:
            cur.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start])


def _start_ids() -> None:
    """Start each kind's ids in its own range (see ID_BASE)."""
    for model, start in ID_BASE.items():
        _start_ids_of(model, start)


def _audience(everyone: bool, named: tuple[Workspace, ...], police: bool) -> dict:
    return {"police_access": police, "shared_with_all": everyone, "workspaces": list(named)}


def build(cast: dict[str, User], run_on_commit) -> World:
    """Create the world. `run_on_commit` is pytest-django's django_capture_on_commit_callbacks."""
    _start_ids()
    ws = {w.slug: w for w in Workspace.objects.all()}
    ws["delta"] = WorkspaceFactory(
        slug="delta", delegation=DelegationFactory(name="Embassy of Deltara", country="ID")
    )
    dave = UserFactory(email="dave@delta.test", workspace=ws["delta"], role=WorkspaceRole.OFFICER)
    alice, bob, analyst, padmin = (
        cast["alice"],
        cast["bob"],
        cast["analyst"],
        cast["platform_admin"],
    )
    roles = [
        Role("alice (officer A)", alice, "alpha"),
        Role("alpha_admin (admin A)", cast["alpha_admin"], "alpha", ws_admin=True),
        Role("bob (officer B)", bob, "bravo"),
        Role("analyst (police)", analyst, "police", analyst=True, curator=True),
        Role("platform_admin", padmin, None, platform_admin=True, curator=True),
        Role("outsider", cast["outsider"], None),
        Role("signed out", None),
    ]
    world = World(roles=roles)
    add = world.objects.append
    officers = {"alpha": alice, "bravo": bob, "delta": dave}

    # The catalogue: one compound whose range holds every reported address below.
    compound = ip_services.compound_save(
        actor=padmin, name="Matrix Park", country="MM", area="Myawaddy", status="active"
    )
    evidence = ip_services.evidence_save(
        actor=padmin, compound=compound, network="45.67.89.0/24", kind="prefix", confidence=80
    )
    warn = ip_services.warn_entry_save(
        actor=padmin, network="98.97.0.0/16", kind="prefix", category="satellite", reason="sat"
    )
    add(Obj("compound", compound.pk, None))
    add(Obj("evidence", evidence.pk, None))
    add(Obj("warn_entry", warn.pk, None))

    # (owner, police, named, everyone): every audience shape a record can take.
    shapes = [
        ("bravo", False, ("",), False),
        ("bravo", True, ("",), False),
        ("bravo", False, ("delta",), False),
        ("alpha", False, ("",), False),
        ("alpha", True, ("delta",), False),
        ("delta", True, ("alpha",), False),
        ("delta", False, ("bravo",), False),
        ("bravo", False, ("",), True),
    ]
    seen = timezone.now() - timedelta(hours=2)
    octet = itertools.count(101)
    phones = itertools.count(1)
    leads_by_owner: dict[str, list[Lead]] = {}
    victims_by_owner: dict[str, list[VictimRecord]] = {}
    reports_by_owner: dict[str, list[IPReport]] = {}

    for owner, police, named_slugs, everyone in shapes:
        named = tuple(ws[s] for s in named_slugs if s)
        named_set = frozenset(s for s in named_slugs if s)
        actor = officers[owner]
        tlp = TLP.GREEN if everyone else TLP.AMBER
        shape = {"owner": owner, "police": police, "named": named_set, "everyone": everyone}

        # IP report (matched against the compound: a match per report).
        c = canary("ip_report")
        address = f"45.67.89.{next(octet)}"
        with run_on_commit(execute=True):
            result = ip_services.ip_report_submit_batch(
                actor=actor,
                rows=[
                    {"row": 1, "address": address, "seen_at": seen, "context": "chat", "note": c}
                ],
                tlp=tlp,
                police_access=police,
                shared_with_all=everyone,
                workspaces=list(named),
            )
        assert result.created, result.errors
        report = IPReport.objects.get(pk=result.created[0])
        reports_by_owner.setdefault(owner, []).append(report)
        rep = Obj(
            "ip_report",
            report.pk,
            canary=c,
            secondary=(address,),
            search=((address, "45.67.89.99"), (c, "CNRYNOBODY0000Q")),
            **shape,
        )
        add(rep)
        for match in Match.objects.filter(report=report):
            add(Obj("match", match.pk, owner, parent=rep))

        # Lead (a bank account, so that a freeze request can be raised on it).
        c = canary("lead")
        n = next(phones)
        lead = case_services.lead_create(
            actor=actor,
            kind="bank_account",
            fields={"bank": "KBank", "account_number": f"12345{n:05d}", "holder_name": c},
            reliability="B",
            grade="2",
            description=c,
            tlp=tlp,
            **_audience(everyone, named, police),
        )
        leads_by_owner.setdefault(owner, []).append(lead)
        account = f"12345{n:05d}"
        lobj = Obj(
            "lead",
            lead.pk,
            canary=c,
            search=((account, "1234599999"), (c, "CNRYNOBODY0000Q")),
            **shape,
        )
        add(lobj)
        comment = case_services.lead_comment_add(actor=actor, lead=lead, text=canary("comment"))
        add(Obj("comment", comment.pk, owner, canary=comment.text, parent=lobj))
        freeze = case_services.freeze_request_raise(
            actor=actor, lead=lead, bank_reference=canary("freeze")
        )
        add(Obj("freeze", freeze.pk, owner, canary=freeze.bank_reference, parent=lobj))

        # Victim record (sharing beyond owner + police needs consent first).
        c = canary("victim")
        passport = f"PX{next(phones):07d}"
        record = victim_services.victim_create(
            actor=actor,
            given_name=c,
            family_name="Matrixperson",
            passport_number=passport,
            note=c,
            police_access=police,
        )
        if named or everyone:
            victim_services.victim_consent_record(actor=actor, record=record, consent_given=True)
            victim_services.victim_audience_set(
                actor=actor,
                record=record,
                tlp=TLP.AMBER if not everyone else TLP.GREEN,
                police_access=police,
                shared_with_all=everyone,
                workspaces=list(named),
            )
        victims_by_owner.setdefault(owner, []).append(record)
        add(
            Obj(
                "victim",
                record.pk,
                canary=c,
                search=(
                    (passport, "PX9999999"),
                    (c, "CNRYNOBODY0000Q"),
                    # The global search finds a record by its number (VR-000123).
                    (record.reference, f"VR-{MISSING_ID}"),
                ),
                **shape,
            )
        )

    # Cases: owned by the police workspace, opened from police-visible leads, shared onwards.
    police_leads = [
        lead for leads in leads_by_owner.values() for lead in leads if lead.police_access
    ]
    for named_slug in ("", "bravo", "alpha"):
        c = canary("case")
        case = case_services.case_open(
            actor=analyst, title=c, leads=police_leads[:2], summary=c, tlp=TLP.AMBER
        )
        if named_slug:
            audience_set(
                actor=analyst,
                record=case,
                tlp=TLP.AMBER,
                police_access=True,
                shared_with_all=False,
                workspaces=[ws[named_slug]],
            )
        cobj = Obj(
            "case",
            case.pk,
            "police",
            police=True,
            named=frozenset({named_slug} - {""}),
            canary=c,
            # The global search and the case list find a case by number or title words.
            search=((case.reference, f"CASE-{MISSING_ID}"), (c, "CNRYNOBODY0000Q")),
        )
        add(cobj)
        task = case_services.case_task_add(actor=analyst, case=case, title=canary("task"))
        add(Obj("case_task", task.pk, "police", canary=task.title, parent=cobj))
        # Link an IP report and a victim record police can see, hidden from most embassies.
        case_services.case_report_add(
            actor=analyst, case=case, report_id=reports_by_owner["bravo"][1].pk
        )
        case_services.case_victim_add(
            actor=analyst, case=case, victim_id=victims_by_owner["bravo"][1].pk
        )

    # An access request from delta for bravo's owner-only lead (same account as delta's own).
    target = leads_by_owner["bravo"][0]
    via = bank_lead(
        dave,
        target.key.split(":")[-1],
        description=canary("lead"),
        reliability="C",
        grade="3",
    )
    add(Obj("lead", via.pk, owner="delta", canary=via.description))
    c = canary("access")
    case_services.access_request_create(actor=dave, via_lead=via, note=c)
    request = AccessRequest.objects.get(via_lead=via)
    add(Obj("access_request", request.pk, "bravo", canary=c, seen_by=frozenset({"delta"})))

    # A long upload of bravo's, and bravo's members and an open invitation.
    c = canary("upload")
    job = ip_services.upload_job_create(
        actor=bob,
        rows=[{"row": 1, "address": "45.67.89.250", "seen_at": seen, "context": "chat"}],
        file_name=f"{c}.csv",
        tlp=TLP.AMBER,
        police_access=False,
        shared_with_all=False,
    )
    add(Obj("upload_job", job.pk, "bravo", canary=c))
    for slug in ("alpha", "bravo", "police", "delta"):
        add(Obj("workspace", slug, slug))
    for user in (alice, bob, cast["bravo_admin"], cast["alpha_admin"], dave):
        add(Obj("member", user.pk, user.workspace.slug))
    for slug, admin in (("bravo", cast["bravo_admin"]), ("alpha", cast["alpha_admin"])):
        c = canary("invite").lower()
        invitation, _ = embassy_services.invitation_create(
            actor=admin, workspace=ws[slug], email=f"{c}@{slug}.test", role="officer"
        )
        add(Obj("invitation", invitation.pk, slug, canary=c))

    if "embassies_apitoken" in connection.introspection.table_names():
        from embassies.models import ApiToken

        _start_ids_of(ApiToken, 870_001)
        for user in (bob, alice):
            c = canary("token")
            token, _ = embassy_services.api_token_create(user=user, name=c, scope="read")
            add(Obj("api_token", token.pk, user.workspace.slug, canary=c, owner_user=user.email))
    return world


def add_hidden_records(cast: dict[str, User], owner: str, run_on_commit) -> list[str]:
    """More owner-only records in `owner`'s workspace (an IP report that matches the compound,
    a lead with a freeze request, a victim record): nobody outside `owner` may notice them,
    not even as a changed count. Returns their canaries."""
    actor = {"alpha": cast["alice"], "bravo": cast["bob"]}[owner]
    seen = timezone.now() - timedelta(hours=3)
    canaries = [canary("ip_report"), canary("lead"), canary("victim")]
    with run_on_commit(execute=True):
        ip_services.ip_report_submit_batch(
            actor=actor,
            rows=[
                {
                    "row": 1,
                    "address": "45.67.89.77",
                    "seen_at": seen,
                    "context": "chat",
                    "note": canaries[0],
                }
            ],
            tlp=TLP.AMBER,
            police_access=False,
            shared_with_all=False,
        )
        lead = bank_lead(actor, "9876543210", description=canaries[1])
        case_services.freeze_request_raise(actor=actor, lead=lead, bank_reference="hidden")
        victim_services.victim_create(
            actor=actor, given_name=canaries[2], passport_number="PX7777777", police_access=False
        )
    return canaries
