"""A lead's stored details in words: the label and text of each field a person reads.

`Lead.details` holds what cases/normalise.py derived, under its own keys (`bank_bic`, `e164`);
those keys are the API's vocabulary, never a page's. Each kind lists its fields in reading
order with a translated label; values that are themselves codes (a person's role, a platform,
an address type) are put into words too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from .choices import PERSON_ROLE_LABELS, PLATFORM_LABELS, LeadKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Lead


def _list(value: object) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _address_type(value: object) -> str:
    # Bitcoin's script types are written in capitals (P2PKH); "segwit-v2" is SegWit v2.
    text = str(value)
    if text.startswith("segwit-v"):
        return "SegWit v" + text.removeprefix("segwit-v")
    return text.upper()


def _role(value: object) -> StrOrPromise:
    return PERSON_ROLE_LABELS.get(str(value), str(value).replace("_", " "))


def _platform(value: object) -> str:
    return PLATFORM_LABELS.get(str(value), str(value).capitalize())


def _country(value: object) -> str:
    # Stored as the ISO code (TH); the page names the country, in the reader's language.
    code = str(value)
    return f"{countries.name(code) or code} ({code})"


def _ip_version(value: object) -> str:
    return f"IPv{value}"


Field = tuple[str, "StrOrPromise", Callable[[object], object] | None]

# Per kind: (key in details, label, how to put the value into words). `display` is left out:
# it is the lead's heading already.
FIELDS: dict[str, list[Field]] = {
    LeadKind.PHONE: [
        ("international", _("Number (international format)"), None),
        ("e164", _("Number (standard form)"), None),
        ("country", pgettext_lazy("of a phone number", "Country"), _country),
    ],
    LeadKind.BANK_ACCOUNT: [
        ("bank_name", _("Bank"), None),
        ("bank_code", _("Bank code"), None),
        ("bank_bic", _("SWIFT BIC"), None),
        ("account_number", _("Account number"), None),
        ("holder_name", _("Account holder"), None),
        ("country", pgettext_lazy("of a bank", "Country"), _country),
    ],
    LeadKind.CRYPTO_WALLET: [
        ("chain", _("Chain"), None),
        ("address", _("Wallet address"), None),
        ("checksum_address", _("Address with checksum"), None),
        ("address_type", _("Address type"), _address_type),
        ("hex", _("Address in hexadecimal"), None),
    ],
    LeadKind.DOMAIN: [
        ("unicode", _("Domain"), None),
        ("domain", _("Domain (encoded)"), None),
        ("url", _("Address as given"), None),
    ],
    LeadKind.HANDLE: [
        ("platform", _("Platform"), _platform),
        ("handle", _("Handle"), None),
    ],
    LeadKind.PERSON: [
        ("names", _("Names"), _list),
        ("aliases", _("Aliases"), _list),
        ("nationality", _("Nationality"), _country),
        ("date_of_birth", _("Date of birth"), None),
        ("role", _("Role"), _role),
    ],
    LeadKind.IP: [
        ("address", _("IP address"), None),
        ("version", _("IP version"), _ip_version),
    ],
}


def lead_fields(lead: Lead) -> list[tuple[StrOrPromise, object]]:
    """The lead's details as (label, text) rows, in reading order; empty values as None.

    A key this table does not know (details written by an older parser) is shown with its
    words spaced out rather than dropped, so nothing the officer entered is hidden.
    """
    details = dict(lead.details or {})
    details.pop("display", None)
    rows: list[tuple[StrOrPromise, object]] = []
    for key, label, words in FIELDS.get(lead.kind, []):
        if key not in details:
            continue
        value = details.pop(key)
        empty = value in ("", None, [], ())
        rows.append((label, None if empty else (words(value) if words else value)))
    for key, value in details.items():
        rows.append((key.replace("_", " ").capitalize(), _list(value) if value else None))
    return rows
