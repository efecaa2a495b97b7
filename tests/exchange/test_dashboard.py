"""The role dashboards at `/`: each figure counts its list, within the viewer's audience.

A figure's link must show exactly the rows it counts; records the viewer may not see change no
figure and no byte of the page; a dashboard costs the same queries whatever the data.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as cases
from cases.choices import AccessRequestState, LeadStatus
from cases.models import AccessRequest
from exchange.dashboards import PREVIOUS_LOGIN
from indicators import services as indicators
from sharing.services import audience_flags
from tests.cases.factories import bank_lead, make_lead
from tests.victims.factories import victim


def _figures(response) -> dict[tuple[str, str], tuple[int, str]]:
    """(card, label) -> (value, url), from what the page was rendered with."""
    dashboard = response.context["dashboard"]
    return {
        (card.key, str(f.label)): (f.value, f.url) for card in dashboard.cards for f in card.figures
    }


def _numbers(response) -> list[str]:
    """The figures as the page prints them, in order: what a reader sees."""
    return re.findall(r"<span class=\"stat\" data-figure>(\d+)</span>", response.content.decode())


def _rows_behind(client, url: str) -> int:
    """How many records the list a figure links to shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if url.startswith(reverse("cases:access_requests")):
        return sum(1 for r in context["incoming"] if r.state == AccessRequestState.PENDING)
    return context["page"].paginator.count


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    """Test transactions roll the version row back, so one number can mean two catalogues."""
    indicators._catalogue_cache.clear()
    yield
    indicators._catalogue_cache.clear()


@pytest.fixture
def compound(platform_admin):
    kk = indicators.compound_save(
        actor=platform_admin, name="KK Park", country="MM", area="Myawaddy", status="active"
    )
    indicators.evidence_save(
        actor=platform_admin, compound=kk, network="45.67.89.0/24", kind="prefix", confidence=80
    )
    return kk


def _report(user, address: str, audience: str = "police"):
    rows = [
        {
            "row": 1,
            "address": address,
            "seen_at": timezone.now() - timedelta(hours=1),
            "context": "scam_call",
        }
    ]
    result = indicators.ip_report_submit_batch(
        actor=user, rows=rows, tlp="amber", workspaces=[], **audience_flags(audience)
    )
    assert result.created, result.errors
    return result


@pytest.fixture
def report(django_capture_on_commit_callbacks, compound):
    """Submit one IP as `user` and run the matching the commit triggers."""

    def submit(user, address: str, audience: str = "police"):
        with django_capture_on_commit_callbacks(execute=True):
            return _report(user, address, audience)

    return submit


def _world(alice, analyst, report):
    """Alpha's records, visible to police: leads in several states, a freeze, a match."""
    for _ in range(3):
        make_lead(alice)
    reviewed = make_lead(alice)
    cases.lead_transition(actor=analyst, lead=reviewed, to_status=LeadStatus.UNDER_REVIEW)
    mule = bank_lead(
        alice,
        "111-1-11111-1",
        description="mule",
        police=True,
        now=timezone.now() - timedelta(hours=2),
    )
    cases.freeze_request_raise(actor=analyst, lead=mule)
    cases.case_open(actor=analyst, title="KK Park ring", leads=[reviewed], lead_analyst=analyst)
    report(alice, "45.67.89.7")
    victim(alice)


def _hidden_world(bob, bravo_admin, alice, report):
    """Bravo's owner-only records (nobody else may see them) and a request about one of them."""
    for _ in range(4):
        make_lead(bob, police=False)
    bank_lead(bob, "222-2-22222-2", description="owner only")
    report(bob, "45.67.89.9", audience="owner")
    victim(bob, police_access=False)
    victim(bob, police_access=False)


def test_analyst_sees_queues_and_each_figure_is_its_list(alice, analyst, as_user, report):
    _world(alice, analyst, report)
    client = as_user(analyst)
    response = client.get("/")
    figures = _figures(response)
    assert figures[("freezes", "overdue")][0] == 1
    assert figures[("freezes", "open")][0] == 1
    assert figures[("review", "New")][0] == 4  # three phones and the mule account
    assert figures[("review", "Under review")][0] == 1
    assert figures[("cases", "open")][0] == 1
    # The freeze's clock is on the page, running, named overdue.
    assert 'data-clock-start="' in response.content.decode()
    for (card, label), (value, url) in figures.items():
        if card == "matches":
            continue  # "new since the last sign-in": checked in its own test
        assert _rows_behind(client, url) == value, (card, label, url)


def test_officer_sees_their_own_work_and_each_figure_is_its_list(alice, analyst, as_user, report):
    _world(alice, analyst, report)
    client = as_user(alice)
    figures = _figures(client.get("/"))
    assert figures[("leads", "New")][0] == 4
    assert figures[("leads", "Under review")][0] == 1
    assert figures[("matches", "new")][0] == 1
    assert figures[("victims", "Reported missing")][0] == 1
    assert ("freezes", "open") not in figures and ("review", "New") not in figures
    for (card, label), (value, url) in figures.items():
        assert _rows_behind(client, url) == value, (card, label, url)


def test_delegation_admin_sees_members_invitations_and_tokens(alpha_admin, alice, as_user):
    from embassies import services as embassies

    embassies.invitation_create(
        actor=alpha_admin, workspace=alpha_admin.workspace, email="new@alpha.test", role="officer"
    )
    figures = _figures(as_user(alpha_admin).get("/"))
    assert figures[("delegation", "members")][0] == 2
    assert figures[("delegation", "pending invitations")][0] == 1
    assert figures[("delegation", "live API tokens")][0] == 0
    assert ("delegation", "members") not in _figures(as_user(alice).get("/"))


def test_hidden_records_change_no_figure_and_no_byte(
    alice, alpha_admin, analyst, bob, bravo_admin, as_user, report, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    _world(alice, analyst, report)
    viewers = {"alice": alice, "alpha_admin": alpha_admin, "analyst": analyst}
    clients = {name: as_user(user) for name, user in viewers.items()}
    before = {name: c.get("/") for name, c in clients.items()}

    _hidden_world(bob, bravo_admin, alice, report)

    for name, client in clients.items():
        after = client.get("/")
        assert _figures(after) == _figures(before[name]), name
        assert _numbers(after) == _numbers(before[name]), name


def test_a_record_the_viewer_may_see_does_change_the_figure(alice, analyst, as_user):
    client = as_user(analyst)
    before = _figures(client.get("/"))[("review", "New")][0]
    make_lead(alice)
    assert _figures(client.get("/"))[("review", "New")][0] == before + 1
    make_lead(alice, police=False)  # owner-only: not the police's to review
    assert _figures(client.get("/"))[("review", "New")][0] == before + 1


def test_an_access_request_for_our_lead_waits_on_our_dashboard(alice, bob, as_user):
    mine = make_lead(alice, police=False, fields={"number": "+66 81 555 0101"})
    theirs = make_lead(bob, police=False, fields={"number": "+66 81 555 0101"})
    assert cases.access_request_create(actor=bob, via_lead=theirs) == 1
    assert AccessRequest.objects.filter(lead=mine).exists()
    assert _figures(as_user(alice).get("/"))[("access", "awaiting our decision")][0] == 1
    assert _figures(as_user(bob).get("/"))[("access", "awaiting our decision")][0] == 0


def test_new_matches_are_those_since_the_previous_sign_in(alice, as_user, report):
    report(alice, "45.67.89.20")
    alice.last_login = timezone.now()
    alice.save(update_fields=["last_login"])
    previous = alice.last_login
    report(alice, "45.67.89.21")
    client = as_user(alice)  # signs in: the previous sign-in is kept for the dashboard
    assert client.session[PREVIOUS_LOGIN] == previous.isoformat()
    assert alice.last_login > previous
    value, url = _figures(client.get("/"))[("matches", "new")]
    assert value == 1
    assert _rows_behind(client, url) == 1


def test_match_list_ignores_a_since_that_is_not_a_time(alice, as_user):
    for junk in ("yesterday", "2026-13-45T99:00:00", "x" * 500):
        assert (
            as_user(alice).get(reverse("indicators:match_list"), {"since": junk}).status_code == 200
        )


@pytest.mark.parametrize("viewer", ["alice", "alpha_admin", "analyst", "platform_admin"])
def test_each_dashboard_costs_the_same_queries_whatever_the_data(
    viewer, request, alice, analyst, bob, bravo_admin, as_user, report
):
    user = request.getfixturevalue(viewer)
    client = as_user(user)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    _world(alice, analyst, report)
    _hidden_world(bob, bravo_admin, alice, report)
    _world(alice, analyst, report)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/").status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(large) <= 25


def test_platform_admin_sees_delegations_activity_but_no_record_counts(
    platform_admin, alice, bob, as_user
):
    as_user(alice)  # alice signs in
    make_lead(alice)
    response = as_user(platform_admin).get("/")
    assert response.context["dashboard"].cards == []
    rows = {d.name: d for d in response.context["dashboard"].delegations}
    assert rows["Embassy of Alphaland"].member_count == 1
    assert rows["Embassy of Alphaland"].active_30d == 1  # alice signed in just now
    assert rows["Embassy of Bravonia"].invitations_pending == 0
    assert "Onboard a delegation" in response.content.decode()
