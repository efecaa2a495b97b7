"""Display helpers for victim pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django_countries import countries

from victims import display
from victims.choices import VictimStatus

if TYPE_CHECKING:
    from victims.models import AccessEvent, VictimEvent

register = template.Library()


@register.filter
def access_detail(event: AccessEvent) -> str:
    """An access-log entry's detail in words."""
    return display.access_event_detail(event)


@register.filter
def timeline_note(event: VictimEvent) -> str:
    """A timeline entry's note, in words where the system wrote it."""
    return display.timeline_note(event)


@register.filter
def victim_status_label(value: str) -> str:
    """A status value (`rescued_or_released`) as its label, for rows of grouped counts."""
    return display.choice_label(VictimStatus, value)


@register.filter
def country_name(code: str) -> str:
    """An ISO country code as the country's name in the reader's language."""
    return countries.name(code) or code if code else ""
