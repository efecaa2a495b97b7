"""The STIX 2.1 export: everything a user may see, as one bundle.

Records come only through each app's selectors, which apply `visible_to(user)`; the app
modules (`indicators.stix`, `cases.stix`) turn them into STIX objects without querying. The
bundle holds:

- IP reports: the address observable and an indicator; for each compound an active match of
  a visible report points at, the compound (infrastructure), its location and the
  relationships. Compounds no exported match points at are never included.
- Leads: an observable and an indicator (websites, IP addresses) or a note (phone numbers,
  bank accounts, crypto wallets, handles, persons).
- Cases: a grouping of the objects of the leads the reader may see in their own right.
- The identities of the workspaces that created them, and the TLP 2.0 marking-definitions
  the objects reference (and no others).

Victim records are never exported to STIX: they carry identity data of trafficked people, and
their only exports are the victims app's own, each written to its audit log.

A bounded number of queries whatever the number of records: reports with their active
matches (2), leads (1), cases with their visible leads (2).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils import translation

from cases import selectors as case_selectors
from cases.stix import CASE_TYPES, LEAD_TYPES, case_grouping, lead_objects
from indicators import selectors as ip_selectors
from indicators.stix import REPORT_TYPES, match_objects, report_objects
from sharing.choices import TLP
from sharing.stix import TLP_MARKING_IDS, bundle, stix_id

if TYPE_CHECKING:
    from embassies.models import User, Workspace

# The record-derived STIX types a caller may ask for (`types`); the identities and markings
# those objects reference always come with them.
EXPORT_TYPES = REPORT_TYPES | LEAD_TYPES | CASE_TYPES

_STRICTNESS = {TLP_MARKING_IDS[level]: rank for rank, level in enumerate(TLP)}


class _Collector:
    """Objects by id, in first-seen order, and the workspaces whose identities they cite.

    An observable shared by several records (the same address in two reports) is one object:
    it keeps the strictest marking of the records it comes from.
    """

    def __init__(self, wanted: frozenset[str] | None) -> None:
        self.wanted = wanted
        self.objects: dict[str, dict[str, Any]] = {}
        self.workspaces: dict[str, Workspace] = {}

    def add(self, objects: Iterable[dict[str, Any]], workspace: Workspace) -> None:
        for obj in objects:
            if self.wanted is not None and obj["type"] not in self.wanted:
                continue
            known = self.objects.get(obj["id"])
            if known is None:
                self.objects[obj["id"]] = obj
            elif "created" not in obj:  # an observable: keep the strictest marking
                marks = [*known.get("object_marking_refs", []), *obj["object_marking_refs"]]
                known["object_marking_refs"] = [max(marks, key=_STRICTNESS.__getitem__)]
            self.workspaces.setdefault(stix_id("identity", "workspace", workspace.pk), workspace)

    def bundle(self) -> dict[str, Any]:
        cited = {
            ref
            for obj in self.objects.values()
            for ref in (obj.get("created_by_ref"), *obj.get("object_refs", []))
            if ref
        }
        workspaces = [w for ident, w in self.workspaces.items() if ident in cited]
        return bundle(self.objects.values(), workspaces)


def stix_bundle_for(
    user: User, *, since: datetime | None = None, types: Iterable[str] | None = None
) -> dict[str, Any]:
    """A STIX 2.1 bundle of what `user` may see; `since` keeps records created at or after it,
    `types` keeps objects of those STIX types (see `EXPORT_TYPES`).

    Object ids are deterministic, so a re-export updates rather than duplicates; the bundle's
    own id is new each time (it names one transmission).
    """
    wanted = frozenset(types) if types else None
    if wanted is not None and not wanted <= EXPORT_TYPES:
        raise ValueError(f"Unknown STIX types: {', '.join(sorted(wanted - EXPORT_TYPES))}")
    out = _Collector(wanted)
    # Labels and country names in English whatever the reader's UI language: the bundle is
    # read by machines and by analysts elsewhere, and stays byte-stable between exports.
    with translation.override("en"):
        if wanted is None or wanted & REPORT_TYPES:
            reports = ip_selectors.report_list(user=user).prefetch_related(
                ip_selectors.report_prefetch_matches()
            )
            if since is not None:
                reports = reports.filter(created_at__gte=since)
            for report in reports:
                matches = getattr(report, "active_matches", [])
                out.add(
                    [*report_objects(report), *match_objects(report, matches)], report.workspace
                )
        if wanted is None or wanted & LEAD_TYPES:
            leads = case_selectors.lead_list(user=user)
            if since is not None:
                leads = leads.filter(created_at__gte=since)
            for lead in leads:
                out.add(lead_objects(lead), lead.workspace)
        if wanted is None or wanted & CASE_TYPES:
            # Only the linked leads the reader may see in their own right (never wider).
            visible = Prefetch(
                "leads", queryset=case_selectors.lead_list(user=user), to_attr="visible_leads"
            )
            cases = case_selectors.case_list(user=user).prefetch_related(visible)
            if since is not None:
                cases = cases.filter(created_at__gte=since)
            for case in cases:
                grouping = case_grouping(case, getattr(case, "visible_leads", []))
                if grouping is not None:
                    out.add([grouping], case.workspace)
    return out.bundle()
