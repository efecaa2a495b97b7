"""The global search: read what was typed, ask each app's search selector, group the hits.

Every hit comes from a selector that filters by the viewer's audience first, so a value only a
hidden record holds answers exactly like a value nobody reported: no group, no count, no
hint. What the answer says about the query itself (how it was read) depends on its shape only.
Counts are never shown: a group holds at most `GROUP_LIMIT` hits and says whether there are
more (of those the viewer may see), with a link to the list filtered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cases import search_terms
from cases import selectors as case_selectors
from cases.search_terms import QueryProblem, Reading, check_query, recognise
from indicators import selectors as indicator_selectors
from victims import selectors as victim_selectors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from embassies.models import User
    from victims.models import VictimRecord

GROUP_LIMIT = 10

READING_LABELS: dict[str, StrOrPromise] = {
    search_terms.IP: gettext_lazy("IP address"),
    search_terms.NETWORK: gettext_lazy("IP prefix (CIDR)"),
    search_terms.PHONE: gettext_lazy("phone number"),
    search_terms.ACCOUNT: gettext_lazy("bank account number (any bank)"),
    search_terms.WALLET: gettext_lazy("crypto wallet"),
    search_terms.DOMAIN: gettext_lazy("domain or website"),
    search_terms.HANDLE: gettext_lazy("handle"),
    search_terms.VICTIM_REF: gettext_lazy("victim record number"),
    search_terms.CASE_REF: gettext_lazy("case number"),
    search_terms.NAME: gettext_lazy("start of a person's name"),
    search_terms.PASSPORT: gettext_lazy("passport number"),
    search_terms.TEXT: gettext_lazy("words in a case title or compound name"),
}

GROUP_LABELS: dict[str, StrOrPromise] = {
    "ip_reports": gettext_lazy("IP reports"),
    "compounds": gettext_lazy("Compounds"),
    "leads": gettext_lazy("Leads"),
    "cases": pgettext_lazy("police investigation", "Cases"),
    "victims": gettext_lazy("Victim records"),
}


def problem_message(problem: QueryProblem) -> str:
    """What to tell the user about a query that is no search."""
    return {
        "empty": _("Type what you are looking for: an IP address, a phone number, an account…"),
        "too_long": _("A search has at most %(n)d characters.") % {"n": search_terms.MAX_LENGTH},
        "control": _("The search contains control characters (a tab, a line break…): remove them."),
    }.get(problem.code, _("This is not something that can be searched."))


@dataclass
class Hit:
    """One record found: what to call it, where it is, its marking and its owner."""

    kind: str
    id: int
    label: str
    url: str
    tlp: str = ""
    owner: str = ""
    detail: str = ""


@dataclass
class Group:
    kind: str
    hits: list[Hit]
    more: bool = False
    more_url: str = ""

    @property
    def label(self) -> StrOrPromise:
        return GROUP_LABELS[self.kind]


@dataclass
class SearchResult:
    query: str
    readings: list[Reading] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    passports_searched: bool = False
    victim_hits: list[VictimRecord] = field(default_factory=list)  # for the access log

    @property
    def reading_labels(self) -> list[StrOrPromise]:
        labels = []
        for reading in self.readings:
            if reading.kind == search_terms.PASSPORT and not self.passports_searched:
                continue
            label = READING_LABELS[reading.kind]
            if label not in labels:
                labels.append(label)
        return labels


def _capped(rows: list, limit: int) -> tuple[list, bool]:
    return rows[:limit], len(rows) > limit


def _link(name: str, **params: str) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def global_search(
    *, user: User, query: str, passports: bool = False, limit: int = GROUP_LIMIT
) -> SearchResult:
    """Search every record kind the user may see for `query` (checked: QueryProblem if it is
    no search). Passport numbers are looked up only when `passports` is set: the page and
    the API do so for a query sent in a request body, never for one in a URL, which access
    logs and browser histories keep in plain text."""
    text = check_query(query)
    readings = recognise(text)
    kinds = {reading.kind for reading in readings}
    result = SearchResult(query=text, readings=readings, passports_searched=passports)
    take = limit + 1  # one more than shown tells whether there are more

    networks = [r.value for r in readings if r.kind in (search_terms.IP, search_terms.NETWORK)]
    if networks:
        reports, more = _capped(
            list(indicator_selectors.report_search(user=user, network=networks[0])[:take]),
            limit,
        )
        if reports:
            result.groups.append(
                Group(
                    "ip_reports",
                    [
                        Hit(
                            "ip_report",
                            r.pk,
                            r.address,
                            reverse("indicators:report_detail", args=[r.pk]),
                            r.tlp,
                            str(r.workspace),
                            f"{r.get_context_display()} · {r.seen_at:%Y-%m-%d}",
                        )
                        for r in reports
                    ],
                    more,
                    _link("indicators:report_list", scope="all", q=networks[0]),
                )
            )

    words = next((r.value for r in readings if r.kind == search_terms.TEXT), "")
    compounds = indicator_selectors.compound_search(
        user=user, text=words, network=networks[0] if networks else ""
    )
    compounds, more = _capped(compounds, limit)
    if compounds:
        result.groups.append(
            Group(
                "compounds",
                [
                    Hit(
                        "compound",
                        c.pk,
                        c.name,
                        reverse("indicators:compound_detail", args=[c.pk]),
                        detail=" · ".join(
                            str(part) for part in (c.country.name, c.area, c.get_status_display())
                        ),
                    )
                    for c in compounds
                ],
                more,
                reverse("indicators:compound_list"),
            )
        )

    leads, more = _capped(
        list(case_selectors.lead_search_readings(user=user, readings=readings)[:take]), limit
    )
    if leads:
        result.groups.append(
            Group(
                "leads",
                [
                    Hit(
                        "lead",
                        lead.pk,
                        lead.value,
                        reverse("cases:lead_detail", args=[lead.pk]),
                        lead.tlp,
                        str(lead.workspace),
                        f"{lead.get_kind_display()} · {lead.get_status_display()}",
                    )
                    for lead in leads
                ],
                more,
                _link("cases:lead_search", q=text),
            )
        )

    cases, more = _capped(
        list(case_selectors.case_search(user=user, readings=readings)[:take]), limit
    )
    if cases:
        result.groups.append(
            Group(
                "cases",
                [
                    Hit(
                        "case",
                        case.pk,
                        f"{case.reference} {case.title}",
                        reverse("cases:case_detail", args=[case.pk]),
                        case.tlp,
                        str(case.workspace),
                        case.get_status_display(),
                    )
                    for case in cases
                ],
                more,
                _link("cases:case_list", q=text),
            )
        )

    record_ids = [int(r.value) for r in readings if r.kind == search_terms.VICTIM_REF]
    passport = text if passports and search_terms.PASSPORT in kinds else ""
    if record_ids or passport:
        victims, more = _capped(
            list(
                victim_selectors.victim_search(user=user, record_ids=record_ids, passport=passport)[
                    :take
                ]
            ),
            limit,
        )
        result.victim_hits = victims
        if victims:
            result.groups.append(
                Group(
                    "victims",
                    [
                        Hit(
                            "victim",
                            v.pk,
                            v.reference,
                            reverse("victims:detail", args=[v.pk]),
                            v.tlp,
                            str(v.workspace),
                            " · ".join(
                                str(part)
                                for part in (v.get_status_display(), v.located_compound)
                                if part
                            ),
                        )
                        for v in victims
                    ],
                    more,
                )
            )
    return result
