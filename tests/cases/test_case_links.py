"""Cases link IP reports and victim records; a case's audience never widens theirs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.choices import CaseEventAction
from sharing.choices import TLP
from sharing.services import audience_set
from tests.oracle import fingerprint
from tests.victims.factories import FAMILY, NAME, victim
from victims import services as victim_services
from victims.models import AccessEvent

from .factories import make_lead

MISSING = 999999


def ip_report(user, address, *, police=True):
    from indicators import services as ip_services

    ip_services.ip_report_submit_batch(
        actor=user,
        rows=[
            {
                "row": 1,
                "address": address,
                "seen_at": timezone.now() - timedelta(hours=1),
                "context": "scam_call",
            }
        ],
        tlp=TLP.AMBER,
        police_access=police,
        shared_with_all=False,
    )
    from indicators.models import IPReport

    return IPReport.objects.get(workspace=user.workspace, address=address)


@pytest.fixture
def shared_case(alice, bob, bravo, analyst):
    """A case opened from a lead bravo may see, shared with bravo, linking alpha's IP report
    and victim record (police-visible, not bravo) and bravo's own IP report."""
    lead = make_lead(alice, named=[bravo])
    case = services.case_open(actor=analyst, title="Op Mekong", leads=[lead])
    audience_set(
        actor=analyst,
        record=case,
        tlp=TLP.AMBER,
        police_access=True,
        shared_with_all=False,
        workspaces=[bravo],
    )
    alpha_report = ip_report(alice, "45.76.10.1")
    bravo_report = ip_report(bob, "45.76.20.2")
    record = victim(alice)
    services.case_report_add(actor=analyst, case=case, report_id=alpha_report.pk)
    services.case_report_add(actor=analyst, case=case, report_id=bravo_report.pk)
    services.case_victim_add(actor=analyst, case=case, victim_id=record.pk)
    return case, alpha_report, bravo_report, record


def test_analyst_sees_links_without_identity_and_without_an_audit_entry(
    shared_case, analyst, as_user
):
    case, alpha_report, bravo_report, record = shared_case
    logged = AccessEvent.objects.count()
    body = as_user(analyst).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "45.76.10.1" in body and "45.76.20.2" in body
    for report in (alpha_report, bravo_report):
        assert reverse("indicators:report_detail", args=[report.pk]) in body
    assert record.reference in body and reverse("victims:detail", args=[record.pk]) in body
    assert NAME not in body and FAMILY not in body
    assert AccessEvent.objects.count() == logged  # the list reads no identity
    actions = [e.action for e in selectors.case_timeline(user=analyst, case=case)]
    assert actions.count(CaseEventAction.REPORT_ADDED) == 2
    assert actions.count(CaseEventAction.VICTIM_ADDED) == 1


def test_shared_case_never_widens_linked_records(shared_case, bob, as_user):
    case, alpha_report, bravo_report, record = shared_case
    client = as_user(bob)
    body = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Op Mekong" in body and "45.76.20.2" in body
    assert "45.76.10.1" not in body
    assert record.reference not in body
    assert reverse("victims:detail", args=[record.pk]) not in body
    assert reverse("indicators:report_detail", args=[alpha_report.pk]) not in body
    assert "No victim record you may see." in body
    # Timeline and counts: only bravo's own report's entry; nothing counts the hidden links.
    timeline = list(selectors.case_timeline(user=bob, case=case))
    assert [e.report_id for e in timeline if e.report_id] == [bravo_report.pk]
    assert not [e for e in timeline if e.victim_id]
    assert selectors.case_reports(user=bob, case=case).count() == 1
    assert selectors.case_victims(user=bob, case=case).count() == 0
    api = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert [r["report"] for r in api["reports"]] == [bravo_report.pk]
    assert api["victims"] == []
    assert "45.76.10.1" not in str(api) and record.reference not in str(api)


def test_narrowed_record_disappears_from_the_case_for_the_analyst_too(
    shared_case, alice, analyst, as_user
):
    case, alpha_report, bravo_report, record = shared_case
    audience_set(
        actor=alice,
        record=alpha_report,
        tlp=TLP.AMBER,
        police_access=False,
        shared_with_all=False,
    )
    victim_services.victim_audience_set(
        actor=alice,
        record=record,
        tlp=TLP.AMBER_STRICT,
        police_access=False,
        shared_with_all=False,
    )
    body = as_user(analyst).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "45.76.10.1" not in body and record.reference not in body
    assert "45.76.20.2" in body
    api = as_user(analyst).get(f"/api/v1/cases/{case.pk}/").json()
    assert [r["report"] for r in api["reports"]] == [bravo_report.pk] and api["victims"] == []
    timeline = list(selectors.case_timeline(user=analyst, case=case))
    assert alpha_report.pk not in [e.report_id for e in timeline]
    assert not [e for e in timeline if e.victim_id]


def test_linking_needs_an_analyst_who_can_see_the_record(alice, bob, bravo, analyst, as_user):
    case = services.case_open(actor=analyst, title="Op", leads=[make_lead(alice)])
    hidden_report = ip_report(alice, "45.76.30.3", police=False)
    hidden_victim = victim(alice, police_access=False)
    with pytest.raises(Http404):
        services.case_report_add(actor=analyst, case=case, report_id=hidden_report.pk)
    with pytest.raises(Http404):
        services.case_victim_add(actor=analyst, case=case, victim_id=hidden_victim.pk)
    visible = ip_report(alice, "45.76.30.4")
    with pytest.raises(PermissionDenied):
        services.case_report_add(actor=alice, case=case, report_id=visible.pk)
    services.case_report_add(actor=analyst, case=case, report_id=visible.pk)
    with pytest.raises(ValidationError):
        services.case_report_add(actor=analyst, case=case, report_id=visible.pk)

    # Pages and API: a hidden record answers exactly like a missing one.
    client = as_user(analyst)
    for name, field, hidden in (
        ("cases:case_report_add", "report", hidden_report.pk),
        ("cases:case_victim_add", "victim", hidden_victim.pk),
    ):
        url = reverse(name, args=[case.pk])
        responses = [client.post(url, {field: pk}) for pk in (hidden, MISSING)]
        assert [r.status_code for r in responses] == [404, 404]
        assert fingerprint(responses[0], url) == fingerprint(responses[1], url)
    api = [
        client.post(f"/api/v1/cases/{case.pk}/reports/", {"report": pk}, format="json")
        for pk in (hidden_report.pk, MISSING)
    ]
    assert [r.status_code for r in api] == [404, 404] and api[0].json() == api[1].json()
    assert client.post(f"/api/v1/cases/{case.pk}/victims/", {"victim": "x"}).status_code == 400
    assert selectors.case_reports(user=analyst, case=case).count() == 1


def test_unlink_through_page_and_api_keeps_the_timeline(alice, analyst, as_user):
    case = services.case_open(actor=analyst, title="Op", leads=[make_lead(alice)])
    report = ip_report(alice, "45.76.40.4")
    record = victim(alice)
    client = as_user(analyst)
    client.post(reverse("cases:case_report_add", args=[case.pk]), {"report": report.pk})
    client.post(f"/api/v1/cases/{case.pk}/victims/", {"victim": record.pk})
    assert selectors.case_reports(user=analyst, case=case).count() == 1
    assert selectors.case_victims(user=analyst, case=case).get().victim_id == record.pk
    client.post(reverse("cases:case_report_remove", args=[case.pk, report.pk]))
    response = client.delete(f"/api/v1/cases/{case.pk}/victims/{record.pk}/")
    assert response.status_code == 200 and response.json()["victims"] == []
    assert not selectors.case_reports(user=analyst, case=case).exists()
    actions = [e.action for e in selectors.case_timeline(user=analyst, case=case)]
    assert CaseEventAction.REPORT_REMOVED in actions and CaseEventAction.VICTIM_REMOVED in actions
    with pytest.raises(ValidationError):
        services.case_victim_remove(actor=analyst, case=case, victim_id=record.pk)


def test_ip_lead_shows_reports_of_the_same_address_and_counts_hidden_ones(
    alice, bob, analyst, as_user
):
    lead = make_lead(alice, kind="ip", fields={"address": "::ffff:45.76.50.5"})
    mine = ip_report(alice, "45.76.50.5")
    theirs = ip_report(bob, "45.76.50.5", police=False)  # bravo's owner-only report
    ip_report(bob, "45.76.50.6")  # another address: never counted
    for user in (alice, analyst):
        correlation = selectors.lead_ip_reports(user=user, lead=lead)
        assert [r.pk for r in correlation.visible] == [mine.pk]
        assert correlation.hidden_workspaces == 1
        body = as_user(user).get(reverse("cases:lead_detail", args=[lead.pk])).content.decode()
        assert reverse("indicators:report_detail", args=[mine.pk]) in body
        assert reverse("indicators:report_detail", args=[theirs.pk]) not in body
        assert "by 1 other delegation." in body
    assert [r.pk for r in selectors.lead_ip_reports(user=bob, lead=lead).visible] == [theirs.pk]
    assert selectors.lead_ip_reports(user=alice, lead=make_lead(alice)) is None  # phone lead


def test_list_rows_link_and_label_like_the_full_record(alice, analyst2, analyst, as_user):
    """The list rows read only a few columns and build links from one reversed prefix."""
    assert reverse("cases:lead_detail", args=[5]) == reverse("cases:lead_list") + "5/"
    lead = make_lead(alice, tlp=TLP.GREEN)
    services.lead_assign(actor=analyst, lead=lead, assignee=analyst2)
    for client, url in (
        (as_user(alice), reverse("cases:lead_list")),
        (as_user(analyst), reverse("cases:review_queue")),
    ):
        body = client.get(url).content.decode()
        assert f'<a href="{reverse("cases:lead_detail", args=[lead.pk])}">{lead.value}</a>' in body
        assert str(lead.workspace) in body and str(analyst2) in body
        assert 'class="tlp tlp-green"' in body and "Phone number" in body


def test_lead_filter_keeps_the_choice_and_escapes_the_value(alice, as_user):
    phone = make_lead(alice)
    make_lead(alice, kind="ip", fields={"address": "45.76.60.6"})
    url = reverse("cases:lead_list") + "?kind=phone&status=new&q=%22%3E%3Cb%3E"
    body = as_user(alice).get(url).content.decode()
    assert '<option value="phone" selected>' in body
    assert '<option value="new" selected>' in body and '<option value="" selected>' not in body
    assert 'value="&quot;&gt;&lt;b&gt;"' in body and '"><b>' not in body
    body = as_user(alice).get(reverse("cases:lead_list") + "?kind=phone").content.decode()
    assert phone.value in body and "45.76.60.6" not in body
    assert body.count('<option value="" selected>') == 1  # status: any
