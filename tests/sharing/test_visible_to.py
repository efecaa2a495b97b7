"""The sharing core: who sees a record, in one query, and the same 404 for missing and hidden."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from embassies.choices import WorkspaceRole
from sharing.choices import TLP
from sharing.selectors import correlation_for, record_get
from sharing.services import audience_flags, audience_set
from tests.embassies.factories import UserFactory, WorkspaceFactory
from tests.sharing_example.models import ExampleRecord


def make(owner_user, *, value="x", police=True, everyone=False, named=(), tlp=TLP.AMBER):
    record = ExampleRecord.objects.create(
        workspace=owner_user.workspace,
        created_by=owner_user,
        value=value,
        police_access=police,
        shared_with_all=everyone,
        tlp=tlp,
    )
    record.shared_with.set(named)
    return record


def visible(user) -> set[int]:
    return set(ExampleRecord.objects.visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def records(alice, bravo):
    return {
        "owner_only": make(alice, police=False),
        "police": make(alice),
        "named_bravo": make(alice, named=[bravo]),
        "named_bravo_no_police": make(alice, police=False, named=[bravo]),
        "all": make(alice, everyone=True),
    }


def test_owner_workspace_sees_everything_it_owns(records, alice, alpha_admin):
    assert visible(alice) == {r.pk for r in records.values()}
    assert visible(alpha_admin) == visible(alice)


def test_other_workspace_sees_only_what_is_shared_with_it(records, bob, bravo_admin):
    expected = {
        records["named_bravo"].pk,
        records["named_bravo_no_police"].pk,
        records["all"].pk,
    }
    assert visible(bob) == expected
    assert visible(bravo_admin) == expected


def test_third_workspace_sees_only_shared_with_all(records):
    charlie_ws = WorkspaceFactory(slug="charlie")
    dave = UserFactory(workspace=charlie_ws, role=WorkspaceRole.OFFICER)
    assert visible(dave) == {records["all"].pk}


def test_police_analyst_sees_everything_but_owner_only(records, analyst):
    assert visible(analyst) == {
        records["police"].pk,
        records["named_bravo"].pk,
        records["all"].pk,
    }


def test_police_officer_without_analyst_role_is_an_ordinary_workspace(records, police):
    desk = UserFactory(workspace=police, role=WorkspaceRole.OFFICER)
    assert visible(desk) == {records["all"].pk}


@pytest.mark.parametrize("who", ["outsider", "platform_admin"])
def test_accounts_outside_every_audience_see_nothing(records, who, request):
    assert visible(request.getfixturevalue(who)) == set()


def test_superuser_sees_nothing_by_being_superuser(records):
    root = UserFactory(is_superuser=True, is_staff=True)
    assert visible(root) == set()


def test_anonymous_and_inactive_see_nothing(records, alice):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    alice.is_active = False
    assert visible(alice) == set()


def test_audience_filter_is_one_query(records, bob):
    with CaptureQueriesContext(connection) as ctx:
        rows = list(ExampleRecord.objects.visible_to(bob))
    assert len(rows) == 3
    assert len(ctx) == 1
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "EXISTS" in sql


def test_counts_go_through_the_filter(records, bob, analyst):
    assert ExampleRecord.objects.visible_to(bob).count() == 3
    assert ExampleRecord.objects.visible_to(analyst).count() == 3


def test_record_get_gives_the_same_404_for_missing_and_hidden(records, bob):
    hidden = records["owner_only"]
    with pytest.raises(Http404) as hidden_exc:
        record_get(queryset=ExampleRecord.objects.all(), user=bob, pk=hidden.pk)
    with pytest.raises(Http404) as missing_exc:
        record_get(queryset=ExampleRecord.objects.all(), user=bob, pk=10**9)
    with pytest.raises(Http404) as junk_exc:
        record_get(queryset=ExampleRecord.objects.all(), user=bob, pk="not-a-number")
    assert str(hidden_exc.value) == str(missing_exc.value) == str(junk_exc.value)
    shared = record_get(queryset=ExampleRecord.objects.all(), user=bob, pk=records["all"].pk)
    assert shared.pk == records["all"].pk


def test_audience_set_by_owner_and_reread(records, alice, bob, bravo):
    record = records["owner_only"]
    assert record.pk not in visible(bob)
    updated = audience_set(
        actor=alice,
        record=record,
        tlp=TLP.GREEN,
        police_access=True,
        shared_with_all=False,
        workspaces=[bravo],
    )
    assert updated.tlp == TLP.GREEN
    assert record.pk in visible(bob)


def test_only_the_owner_workspace_changes_the_audience(records, bob, analyst, alpha):
    for intruder in (bob, analyst):
        with pytest.raises(PermissionDenied):
            audience_set(
                actor=intruder,
                record=records["named_bravo"],
                tlp=TLP.CLEAR,
                police_access=True,
                shared_with_all=True,
                workspaces=[],
            )
    records["named_bravo"].refresh_from_db()
    assert not records["named_bravo"].shared_with_all


def test_tlp_red_never_goes_to_all_workspaces(records, alice):
    with pytest.raises(ValidationError):
        audience_set(
            actor=alice,
            record=records["police"],
            tlp=TLP.RED,
            police_access=True,
            shared_with_all=True,
        )
    # The database refuses it too, whatever code path writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        make(alice, everyone=True, tlp=TLP.RED)


def test_audience_presets():
    assert audience_flags("owner") == {"police_access": False, "shared_with_all": False}
    assert audience_flags("police") == {"police_access": True, "shared_with_all": False}
    assert audience_flags("all") == {"police_access": True, "shared_with_all": True}
    with pytest.raises(ValidationError):
        audience_flags("everyone-please")


def test_correlation_counts_hidden_delegations_without_naming_them(alice, bob, bravo, alpha):
    charlie_ws = WorkspaceFactory(slug="charlie")
    dave = UserFactory(workspace=charlie_ws, role=WorkspaceRole.OFFICER)
    delta_ws = WorkspaceFactory(slug="delta")
    erin = UserFactory(workspace=delta_ws, role=WorkspaceRole.OFFICER)
    mine = make(alice, value="+66812345678")
    make(bob, value="+66812345678", police=False)  # bravo's, hidden from alpha
    make(bob, value="+66812345678", police=False)  # a second bravo record: still 1 delegation
    shared = make(dave, value="+66812345678", named=[alpha])  # charlie shares it with alpha
    make(erin, value="+66812345678", police=False)  # delta's, hidden
    make(erin, value="something else", police=False)

    corr = correlation_for(
        queryset=ExampleRecord.objects.all(),
        user=alice,
        match=Q(value=mine.value),
        exclude_workspace_id=alice.workspace_id,
    )
    assert [r.pk for r in corr.visible] == [shared.pk]
    assert corr.hidden_workspaces == 2  # bravo and delta, unnamed
    assert corr.total_workspaces == 3


def test_correlation_for_analyst_sees_police_visible_ones(alice, bob, analyst):
    make(alice, value="acct-1")
    make(bob, value="acct-1", police=False)
    corr = correlation_for(
        queryset=ExampleRecord.objects.all(),
        user=analyst,
        match=Q(value="acct-1"),
        exclude_workspace_id=None,
    )
    assert len(corr.visible) == 1 and corr.hidden_workspaces == 1
