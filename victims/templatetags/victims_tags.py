"""Display helpers for victim pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from victims import display

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
