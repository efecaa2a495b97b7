"""Notices reach only the record's audience; e-mails carry a link, not content."""

import pytest

from embassies.choices import WorkspaceRole
from embassies.models import User
from sharing.models import Notification
from sharing.notifications import audience_members, mark_read, notify, owner_and_police
from tests.embassies.factories import UserFactory, WorkspaceFactory
from tests.sharing.test_visible_to import make
from tests.sharing_example.models import ExampleRecord


@pytest.fixture
def cast(alice, alpha_admin, bob, bravo_admin, analyst, platform_admin, outsider):
    other = UserFactory(workspace=WorkspaceFactory(slug="charlie"), role=WorkspaceRole.OFFICER)
    return [alice, alpha_admin, bob, bravo_admin, analyst, platform_admin, outsider, other]


@pytest.mark.parametrize(
    "shape",
    [
        {"police": False},
        {"police": True},
        {"police": False, "named": "bravo"},
        {"police": True, "everyone": True},
    ],
)
def test_audience_members_mirrors_visible_to(cast, alice, bravo, shape):
    named = [bravo] if shape.get("named") else []
    record = make(alice, police=shape["police"], everyone=shape.get("everyone", False), named=named)
    members = set(audience_members(record).values_list("pk", flat=True))
    seers = {
        u.pk for u in cast if ExampleRecord.objects.visible_to(u).filter(pk=record.pk).exists()
    }
    assert members == seers


def test_notify_never_reaches_outside_the_audience(
    cast, alice, bob, analyst, mailoutbox, django_capture_on_commit_callbacks
):
    owner_only = make(alice, police=False)
    with django_capture_on_commit_callbacks(execute=True):
        # A careless caller passes everyone: only alpha's members get the notice.
        created = notify(
            recipients=User.objects.all(),
            record=owner_only,
            kind="compound_match",
            title="Match on report 1",
            url="/x/1/",
            event_key="match:1",
        )
    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {"alice@alpha.test", "admin@alpha.test"}
    assert created == 2
    assert {m.to[0] for m in mailoutbox} == recipients
    for message in mailoutbox:
        assert "Match on report 1" not in message.body + message.subject  # no content by mail
        assert "/x/1/" in message.body


def test_notify_is_idempotent(alice, analyst):
    record = make(alice)
    for _ in range(2):
        notify(
            recipients=owner_and_police(record),
            record=record,
            kind="k",
            title="t",
            url="/u/",
            event_key="e1",
            email=False,
        )
    assert Notification.objects.count() == 2  # alice and the analyst, once each
    assert mark_read(user=analyst) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
