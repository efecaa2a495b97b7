"""Encryption at rest for victims' identity and free-text fields, and the keyed passport hash.

Built on the maintained `cryptography` package (django-cryptography and django-fernet-fields
are unmaintained):

- Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, a random IV per value), so
  two records with the same name hold different ciphertexts and the table reveals nothing.
- Keys come from settings.VICTIMS_ENCRYPTION_KEYS, a list. The first key encrypts; every key
  decrypts (cryptography's MultiFernet). To rotate: put a new key first, keep the old ones,
  run `victims_rotate_keys` (services.identity_reencrypt), then drop the old keys.
- Officers' free text about a person (timeline notes, the screening outcome's reason, the lawful
  basis note) holds stories, names and contacts as often as the identity fields: encrypted too.
- Passport numbers are found by an HMAC-SHA256 of the normalised number under a separate key
  (settings.VICTIMS_LOOKUP_KEY): an exact lookup without decrypting every row, and useless to
  someone holding only the database (no key, no dictionary attack on the passport space).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = [
    "DecryptionError",
    "EncryptedDateField",
    "EncryptedTextField",
    "decrypt",
    "encrypt",
    "is_current",
    "is_token",
    "lookup_hash",
    "normalise_passport",
    "rotate",
]


class DecryptionError(Exception):
    """A stored value that no configured key opens (a key was dropped too early)."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("VICTIMS_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        # Never echo the key itself into a log.
        raise ImproperlyConfigured(
            "VICTIMS_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes; make one with Fernet.generate_key())"
        ) from exc


def _key_tuple() -> tuple[str, ...]:
    return tuple(getattr(settings, "VICTIMS_ENCRYPTION_KEYS", ()))


def _keys() -> MultiFernet:
    # Read settings on every call (cheap: the MultiFernet is cached per key tuple) so a test's
    # override_settings and a rotated deployment both take effect.
    return _multifernet(_key_tuple())


def encrypt(value: str) -> str:
    """Encrypt a text value with the current (first) key; returns the Fernet token as text."""
    return _keys().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token written under any configured key."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("no configured key opens this value") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the current key (a no-op in meaning, a new ciphertext)."""
    try:
        return _keys().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("no configured key opens this value") from exc


def is_current(token: str) -> bool:
    """Whether the current (first) key opens `token`: a rotation can skip it."""
    keys = _key_tuple()
    _multifernet(keys)  # the same errors as encrypt() for missing or malformed keys
    try:
        _multifernet(keys[:1]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


# A Fernet token: version byte 0x80, 8-byte time, 16-byte IV, AES blocks, 32-byte HMAC.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+=*")
_TOKEN_OVERHEAD = 1 + 8 + 16 + 32


def is_token(value: str) -> bool:
    """Whether `value` has the shape of a Fernet token, whichever key made it.

    Lets a data migration tell a stored token from plain text without trusting that every key
    is configured: plain text an officer typed is never 100+ url-safe base64 characters that
    decode to a version byte, an IV and whole AES blocks.
    """
    if len(value) < 100 or not _TOKEN_CHARS.fullmatch(value):
        return False
    try:
        raw = base64.urlsafe_b64decode(value)
    except (binascii.Error, ValueError):
        return False
    body = len(raw) - _TOKEN_OVERHEAD
    return raw[0] == 0x80 and body >= 16 and body % 16 == 0


_PASSPORT_NOISE = re.compile(r"[\s\-]+")


def normalise_passport(number: str) -> str:
    """The form passport numbers are compared in: upper case, no spaces or dashes."""
    return _PASSPORT_NOISE.sub("", number or "").upper()


def lookup_hash(number: str) -> str:
    """HMAC-SHA256 (hex) of the normalised passport number; '' for an empty number."""
    normalised = normalise_passport(number)
    if not normalised:
        return ""
    key = getattr(settings, "VICTIMS_LOOKUP_KEY", None)
    if not key:
        raise ImproperlyConfigured("VICTIMS_LOOKUP_KEY is not set")
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field stored as a Fernet token. Python sees plain text; the database never does.

    The empty string stays empty (no ciphertext), so "not given" is visible without a key; that
    reveals only which fields were filled in. Not searchable or orderable by value: use a keyed
    hash column next to it when a lookup is needed.
    """

    description = "Text encrypted at rest (Fernet)"

    def to_plain(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_plain(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None and self.null:
            return None
        plain = self.to_plain(value)
        return encrypt(plain) if plain else ""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return self.from_plain("")
        return self.from_plain(decrypt(value))


class EncryptedDateField(EncryptedTextField):
    """A date stored as an encrypted ISO date; Python sees a `datetime.date` or None."""

    description = "Date encrypted at rest (Fernet)"

    def to_plain(self, value: Any) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()

    def from_plain(self, text: str) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    def to_python(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return models.DateField().to_python(value)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super(models.TextField, self).formfield(**{"form_class": forms.DateField, **kwargs})
