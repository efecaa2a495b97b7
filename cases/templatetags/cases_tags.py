"""Small display helpers for lead and freeze pages."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django import template

from cases.choices import LeadKind, LeadStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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
