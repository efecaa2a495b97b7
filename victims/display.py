"""The audit log's and the timeline's machine-written details, in words.

Services write short, stable details into the append-only access log and the timeline
(`tlp=amber police=True all=False named=1`, `→ rescued_or_released`, `edited: phone`): they are
hashed into the log's chain, so they stay as written, in one language, for every reader. The
pages put them into the reader's words at display time, so old entries read as well as new ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sharing.choices import TLP

from .choices import AccessAction, LawfulBasis, VictimStatus

if TYPE_CHECKING:
    from .models import AccessEvent, VictimEvent

_AUDIENCE = re.compile(
    r"^tlp=(?P<tlp>\S+) police=(?P<police>True|False) all=(?P<all>True|False) named=(?P<n>\d+)$"
)
_LAWFUL_BASIS = "no consent; lawful basis: "


def choice_label(choices: type, value: str) -> str:
    """The label of `value` among `choices`, or the value itself when it is not one."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def audience_words(*, tlp: str, police: bool, everyone: bool, named: int) -> str:
    """Who a record is shared with, as a sentence: 'Shared with police and 1 named delegation,
    TLP:AMBER+STRICT'."""
    marking = choice_label(TLP, tlp)
    if everyone and police:
        return _("Shared with police and all delegations, %(tlp)s") % {"tlp": marking}
    if everyone:
        return _("Shared with all delegations, %(tlp)s") % {"tlp": marking}
    if named and police:
        return ngettext(
            "Shared with police and %(n)d named delegation, %(tlp)s",
            "Shared with police and %(n)d named delegations, %(tlp)s",
            named,
        ) % {"n": named, "tlp": marking}
    if named:
        return ngettext(
            "Shared with %(n)d named delegation, %(tlp)s",
            "Shared with %(n)d named delegations, %(tlp)s",
            named,
        ) % {"n": named, "tlp": marking}
    if police:
        return _("Shared with police, %(tlp)s") % {"tlp": marking}
    return _("Kept to the owner delegation, %(tlp)s") % {"tlp": marking}


def field_names(names: str) -> str:
    """'given_name, phone' as 'Given name(s), Phone' (the fields' own verbose names)."""
    from .models import VictimRecord

    words = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        try:
            words.append(
                capfirst(str(getattr(VictimRecord._meta.get_field(name), "verbose_name", name)))
            )
        except FieldDoesNotExist:
            words.append(capfirst(name.replace("_", " ")))
    return ", ".join(words)


def detail_words(detail: str) -> str:
    """A detail a service wrote, in words; text it does not recognise is returned as it is."""
    match = _AUDIENCE.match(detail)
    if match:
        return audience_words(
            tlp=match["tlp"],
            police=match["police"] == "True",
            everyone=match["all"] == "True",
            named=int(match["n"]),
        )
    if detail.startswith("→ "):
        status = choice_label(VictimStatus, detail.removeprefix("→ ").strip())
        return _("Status changed to %(status)s") % {"status": status}
    if detail.startswith("edited: "):
        return _("Changed: %(fields)s") % {"fields": field_names(detail.removeprefix("edited: "))}
    if detail.startswith(_LAWFUL_BASIS):
        basis = choice_label(LawfulBasis, detail.removeprefix(_LAWFUL_BASIS).strip())
        return _("No consent; lawful basis: %(basis)s") % {"basis": basis}
    fixed = {
        "created": _("Record opened"),
        "screening": _("Screening recorded"),
        "consent given": _("Consent given"),
        "no consent": _("No consent"),
        "page": _("Record page"),
        "edit form": _("Edit form"),
        "referral form": _("Referral form"),
        "csv": _("CSV export"),
        "passport": _("Passport search"),
        "api passport": _("Passport search through the API"),
        "api": _("Through the API"),
    }
    return fixed.get(detail, detail)


def access_event_detail(event: AccessEvent) -> str:
    """The access log's Detail column. A purge's detail is the operator's reason, kept as is."""
    if event.action == AccessAction.PURGE:
        return event.detail
    return detail_words(event.detail)


def timeline_note(event: VictimEvent) -> str:
    """The timeline's Note column: the officer's own note, or the system's detail in words."""
    kind = event.Kind
    if event.kind == kind.AUDIENCE:
        return detail_words(event.note)
    if event.kind == kind.EDITED:
        return field_names(event.note)
    if event.kind == kind.CONSENT:
        return detail_words(event.note)
    return event.note
