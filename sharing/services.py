"""Writes to a record's audience. Only the owner workspace decides who else sees a record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from embassies.models import Workspace
from embassies.permissions import is_officer

from .choices import TLP, AudiencePreset

if TYPE_CHECKING:
    from embassies.models import User

    from .models import SharedRecord


def audience_flags(preset: str) -> dict[str, bool]:
    """Turn a form's audience choice into the record's flags."""
    if preset not in AudiencePreset.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    return {
        "police_access": preset != AudiencePreset.OWNER_ONLY,
        "shared_with_all": preset == AudiencePreset.ALL,
    }


def audience_validate(
    *,
    owner: Workspace,
    tlp: str,
    shared_with_all: bool,
    workspaces: Iterable[Workspace],
) -> list[Workspace]:
    """Check an audience before it is saved; returns the named workspaces, owner excluded."""
    if tlp not in TLP.values:
        raise ValidationError({"tlp": _("Unknown TLP marking.")})
    if tlp == TLP.RED and shared_with_all:
        raise ValidationError(
            {"tlp": _("A TLP:RED record is for named recipients: it cannot go to all workspaces.")}
        )
    named = [w for w in workspaces if w.pk != owner.pk]
    if any(not w.is_active for w in named):
        raise ValidationError({"shared_with": _("A named workspace is not active.")})
    return named


def assert_can_write(*, actor: User, record: SharedRecord) -> None:
    """Only officers of the owner workspace change a record or its audience."""
    if actor.workspace_id != record.workspace_id or not is_officer(actor):
        raise PermissionDenied(_("Only the owner workspace can change this record."))


@transaction.atomic
def audience_set(
    *,
    actor: User,
    record: SharedRecord,
    tlp: str,
    police_access: bool,
    shared_with_all: bool,
    workspaces: Iterable[Workspace] = (),
) -> SharedRecord:
    """Set who may see `record`. Re-reads the record through the actor's audience afterwards."""
    model = type(record)
    # Lock the row and re-check inside the transaction: the caller's copy may be stale.
    locked = model.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise PermissionDenied(_("Only the owner workspace can change this record."))
    assert_can_write(actor=actor, record=locked)
    named = audience_validate(
        owner=locked.workspace, tlp=tlp, shared_with_all=shared_with_all, workspaces=workspaces
    )
    locked.tlp, locked.police_access, locked.shared_with_all = tlp, police_access, shared_with_all
    locked.full_clean(exclude=["shared_with"])
    locked.save(update_fields=["tlp", "police_access", "shared_with_all"])
    locked.shared_with.set(named)
    return model.objects.visible_to(actor).get(pk=locked.pk)
