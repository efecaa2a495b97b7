"""System checks: a malformed encryption key stops start-up instead of the first victim page."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def encryption_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from . import crypto

    try:
        crypto.decrypt(crypto.encrypt("check"))
        crypto.lookup_hash("CHECK")
    except (ImproperlyConfigured, crypto.DecryptionError) as exc:
        return [
            Error(
                str(exc),
                hint="Set VICTIMS_ENCRYPTION_KEYS (comma-separated Fernet keys) and "
                "VICTIMS_LOOKUP_KEY.",
                id="victims.E001",
            )
        ]
    return []
