from django import template
from django.utils.html import format_html

from sharing.choices import TLP

register = template.Library()


@register.simple_tag
def tlp_badge(value: str) -> str:
    """The TLP marking as FIRST prescribes it: coloured text on black."""
    try:
        tlp = TLP(value)
    except ValueError:
        return ""
    return format_html(
        '<span class="tlp tlp-{}" title="{}">{}</span>', tlp.value, tlp.description, tlp.label
    )
