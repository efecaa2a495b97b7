"""Small display helpers for lead and freeze pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django import template
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from cases import display
from cases.choices import LeadKind, LeadStatus
from sharing.templatetags.sharing import tlp_badge

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from cases.models import Lead

register = template.Library()


@register.filter
def clock(value: timedelta | None) -> str:
    """A duration as the freeze clock shows it: '2d 03:15', '1:05:09' or '12:30' (mm:ss)."""
    if value is None:
        return "—"
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}:{minutes:02d}"
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes:02d}:{seconds:02d}"


@register.simple_tag
def lead_fields(lead: Lead) -> list[tuple[StrOrPromise, object]]:
    """`{% lead_fields lead as rows %}`: the lead's details as (label, text), in words."""
    return display.lead_fields(lead)


# Labels by value, built once: `get_FOO_display()` re-hashes every choice (and translates each
# label) on every call, which is most of a 50-row list page's rendering time.
_KIND_LABELS = dict(LeadKind.choices)
_STATUS_LABELS = dict(LeadStatus.choices)


@register.filter
def kind_label(value: str) -> StrOrPromise:
    return _KIND_LABELS.get(value, value)


@register.filter
def status_label(value: str) -> StrOrPromise:
    return _STATUS_LABELS.get(value, value)


# The TLP badge HTML per (language, value), built once: list pages show one per row, and
# building it re-validates the enum and translates the label and description every time.
_TLP_BADGES: dict[tuple[str | None, str], SafeString] = {}


@register.filter
def tlp_mark(value: str) -> SafeString:
    """`{% tlp_badge %}` for list rows, cached."""
    key = (get_language(), value)
    badge = _TLP_BADGES.get(key)
    if badge is None:
        badge = _TLP_BADGES[key] = SafeString(tlp_badge(value))
    return badge


_ROW = (
    '<tr><td>{}</td><td>{}</td><td><a href="{}{}/">{}</a></td><td>{}{}</td>'
    '<td><span class="lead-status lead-{}">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>\n'
)


_ROW_LABELS: dict[str | None, tuple[dict[str, str], dict[str, str]]] = {}


def _row_labels() -> tuple[dict[str, str], dict[str, str]]:
    """Kind and status labels translated once per language (not twice per row)."""
    language = get_language()
    labels = _ROW_LABELS.get(language)
    if labels is None:
        labels = _ROW_LABELS[language] = (
            {k: str(v) for k, v in _KIND_LABELS.items()},
            {k: str(v) for k, v in _STATUS_LABELS.items()},
        )
    return labels


@register.simple_tag
def lead_rows(leads: Iterable[Lead], detail_base: str) -> SafeString:
    """The rows of a leads table, built in one call (every value escaped by format_html).

    A list page shows 50 rows of ten cells; rendering them as template nodes (a variable
    lookup, filter and escape per cell) was most of the page's time. `detail_base` is the
    reversed `cases:lead_list` URL: a lead's page is `<that>/<pk>/`. Rows read only the
    columns of `LeadQuerySet.for_rows()`.
    """
    kinds, statuses = _row_labels()
    return format_html_join(
        "",
        _ROW,
        (
            (
                timezone.localtime(lead.created_at).strftime("%Y-%m-%d %H:%M"),
                kinds.get(lead.kind, lead.kind),
                detail_base,
                lead.pk,
                lead.value,
                lead.reliability,
                lead.grade,
                lead.status,
                statuses.get(lead.status, lead.status),
                lead.workspace,
                lead.assignee or "—",
                tlp_mark(lead.tlp),
            )
            for lead in leads
        ),
    )
