"""Leads are made through the service (validation and history included), with short defaults."""

from __future__ import annotations

import itertools

from cases import services
from cases.choices import LeadKind
from sharing.choices import TLP

_numbers = itertools.count(1)


def phone_fields(n: int | None = None) -> dict:
    n = next(_numbers) if n is None else n
    return {"number": f"+66 81 {n // 10000 % 1000:03d} {n % 10000:04d}"}


def make_lead(
    user,
    *,
    kind: str = LeadKind.PHONE,
    fields: dict | None = None,
    police: bool = True,
    everyone: bool = False,
    named=(),
    tlp: str = TLP.AMBER,
    **kwargs,
):
    """A lead submitted by `user`; a new phone number each time unless `fields` says otherwise."""
    return services.lead_create(
        actor=user,
        kind=kind,
        fields=fields if fields is not None else phone_fields(),
        reliability=kwargs.pop("reliability", "B"),
        grade=kwargs.pop("grade", "2"),
        description=kwargs.pop("description", "seen in a scam call"),
        tlp=tlp,
        police_access=police,
        shared_with_all=everyone,
        workspaces=list(named),
        **kwargs,
    )


KBANK = {"bank": "KBank", "account_number": "123-4-56789-0", "holder_name": "Somchai"}


def bank_lead(user, account: str, *, description: str, police: bool = False, **kwargs):
    """A KBank account lead, owner-only unless `police`."""
    fields = {"bank": "KBank", "account_number": account}
    return make_lead(
        user,
        kind=LeadKind.BANK_ACCOUNT,
        fields=fields,
        police=police,
        description=description,
        **kwargs,
    )
