"""One object of every kind a URL can name, made through the services, so that every routed
page renders with real content for alpha's officer and admin, the police analyst and the
platform admin. Records belong to alpha and are shared with police; the case is the police's,
shared with alpha.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from cases import services as case_services
from cases.models import AccessRequest
from embassies import services as embassy_services
from embassies.choices import ApiTokenScope
from embassies.models import User, Workspace
from indicators import services as ip_services
from indicators.models import IPReport, Match
from sharing.choices import TLP
from sharing.services import audience_set
from tests.cases.factories import bank_lead
from tests.embassies.factories import UserFactory
from victims import services as victim_services

from .urlconf import Route, url_for


@dataclass
class World:
    values: dict[str, object]
    pk_by_prefix: list[tuple[str, object]]
    users: dict[str, User] = field(default_factory=dict)

    def url(self, route: Route) -> str:
        return url_for(route, self.values, self.pk_by_prefix)


def build(*, alice, alpha_admin, bob, analyst, platform_admin, run_on_commit) -> World:
    alpha: Workspace = alice.workspace
    seen = timezone.now() - timedelta(hours=2)

    compound = ip_services.compound_save(
        actor=platform_admin, name="Security Park", country="MM", area="Myawaddy", status="active"
    )
    evidence = ip_services.evidence_save(
        actor=platform_admin,
        compound=compound,
        network="45.67.89.0/24",
        kind="prefix",
        confidence=80,
    )
    warn = ip_services.warn_entry_save(
        actor=platform_admin,
        network="98.97.0.0/16",
        kind="prefix",
        category="satellite",
        reason="x",
    )
    with run_on_commit(execute=True):
        result = ip_services.ip_report_submit_batch(
            actor=alice,
            rows=[{"row": 1, "address": "45.67.89.10", "seen_at": seen, "context": "chat"}],
            tlp=TLP.AMBER,
            police_access=True,
            shared_with_all=False,
            workspaces=[],
        )
    report = IPReport.objects.get(pk=result.created[0])
    match = Match.objects.get(report=report)
    job = ip_services.upload_job_create(
        actor=alice,
        rows=[{"row": 1, "address": "45.67.89.11", "seen_at": seen, "context": "chat"}],
        file_name="upload.csv",
        tlp=TLP.AMBER,
        police_access=True,
        shared_with_all=False,
    )

    lead = case_services.lead_create(
        actor=alice,
        kind="bank_account",
        fields={"bank": "KBank", "account_number": "123-4-56789-0", "holder_name": "Somchai"},
        reliability="B",
        grade="2",
        description="mule account",
        tlp=TLP.AMBER,
        police_access=True,
        shared_with_all=False,
        workspaces=[],
    )
    case_services.lead_comment_add(actor=alice, lead=lead, text="seen twice")
    freeze = case_services.freeze_request_raise(actor=alice, lead=lead, bank_reference="REF-1")

    record = victim_services.victim_create(
        actor=alice, given_name="Secura", family_name="Testperson", passport_number="PX7654321"
    )

    case = case_services.case_open(actor=analyst, title="Security case", leads=[lead])
    audience_set(
        actor=analyst,
        record=case,
        tlp=TLP.AMBER,
        police_access=True,
        shared_with_all=False,
        workspaces=[alpha],
    )
    task = case_services.case_task_add(actor=analyst, case=case, title="Call the bank")
    case_services.case_report_add(actor=analyst, case=case, report_id=report.pk)
    case_services.case_victim_add(actor=analyst, case=case, victim_id=record.pk)

    # An access request to alpha: bob reports the account of alpha's owner-only lead.
    hidden = bank_lead(alice, "999-9-99999-9", description="owner only")
    via = bank_lead(bob, "999-9-99999-9", description="ours too", reliability="C", grade="3")
    case_services.access_request_create(actor=bob, via_lead=via, note="please")
    access = AccessRequest.objects.get(lead=hidden)

    invitation, invitation_token = embassy_services.invitation_create(
        actor=alpha_admin, workspace=alpha, email="new@alpha.test", role="officer"
    )
    api_token, _key = embassy_services.api_token_create(
        user=alice, name="script", scope=ApiTokenScope.READ
    )
    # Someone who signed in with a password and has no authenticator yet (the enrol page).
    novice = UserFactory(email="novice@alpha.test", workspace=alpha, role="officer")
    novice.totpdevice_set.all().delete()

    return World(
        values={
            "slug": alpha.slug,
            "user_id": alice.pk,
            "invitation_id": invitation.pk,
            "token": invitation_token,
            "token_id": api_token.pk,
            "report_id": report.pk,
            "job_id": job.pk,
            "match_id": match.pk,
            "compound_id": compound.pk,
            "evidence_id": evidence.pk,
            "entry_id": warn.pk,
            "task_id": task.pk,
            "victim_id": record.pk,
        },
        # Longest prefix first: "leads/cases/" before "leads/".
        pk_by_prefix=[
            ("leads/freezes/", freeze.pk),
            ("leads/cases/", case.pk),
            ("leads/access-requests/", access.pk),
            ("leads/", lead.pk),
            ("victims/", record.pk),
            ("api/v1/ip-reports/", report.pk),
            ("api/v1/ip-matches/", match.pk),
            ("api/v1/compounds/", compound.pk),
            ("api/v1/leads/", lead.pk),
            ("api/v1/freeze-requests/", freeze.pk),
            ("api/v1/cases/", case.pk),
            ("api/v1/access-requests/", access.pk),
            ("api/v1/victims/", record.pk),
        ],
        users={"novice": novice},
    )
