"""Leads and cases as STIX 2.1 objects.

- A website lead becomes a `domain-name` observable (its normalised host name) and an
  indicator; an IP lead an `ipv4-addr` / `ipv6-addr` observable and an indicator.
- Phone numbers, bank accounts, crypto wallets, handles and persons have no observable type
  in STIX 2.1 without custom objects, so each becomes a `note` (abstract: the kind; content:
  the normalised value and the fields that identify it). A person is deliberately a note, not a
  `threat-actor`: a lead is a suspicion under review (a "money mule" is often a trafficked
  victim), and STIX's threat actor asserts malicious intent.
- A case becomes a `grouping` (context "suspicious-activity") of the objects of its leads that
  the reader may see in their own right; a case with none is left out.

What stays out: a lead's free-text description, the website's URL as typed (query strings
carry victims' tracking tokens), a case's summary, comments, history, assignments and freeze
requests. Free text may hold victims' personal data that nothing structured flags.

Pure functions over rows fetched through `cases.selectors` (no queries here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from indicators.stix import ip_observable, pattern_literal
from sharing.stix import SPEC_VERSION, TLP_MARKING_IDS, record_properties, sco_id, stix_id

from .choices import CaseStatus, InformationGrade, LeadKind, LeadStatus, SourceReliability

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Case, Lead

# STIX object types leads and cases can bring into a bundle.
LEAD_TYPES = frozenset({"domain-name", "ipv4-addr", "ipv6-addr", "indicator", "note"})
CASE_TYPES = frozenset({"grouping"})

OBSERVABLE_KINDS = (LeadKind.DOMAIN, LeadKind.IP)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _grading(lead: Lead) -> str:
    """The lead's 4x4 grading, status and compound references, as one line of facts."""
    facts = [
        f"Source reliability {lead.reliability}, information grade {lead.grade} (4x4): "
        f"{_label(SourceReliability, lead.reliability).split(' — ', 1)[-1]}; "
        f"{_label(InformationGrade, lead.grade).split(' — ', 1)[-1]}.",
        f"Review status: {_label(LeadStatus, lead.status)}.",
    ]
    if lead.compound_refs:
        facts.append(f"Compounds named: {lead.compound_refs}.")
    return " ".join(facts)


def _key_details(lead: Lead) -> list[str]:
    """The normalised value, then the fields that identify it, by kind."""
    d: dict[str, Any] = lead.details if isinstance(lead.details, dict) else {}
    lines: list[str] = []
    if lead.kind == LeadKind.PHONE:
        lines.append(f"Number (E.164): {d.get('e164') or lead.key}")
        if d.get("country"):
            lines.append(f"Country: {d['country']}")
    elif lead.kind == LeadKind.BANK_ACCOUNT:
        lines.append(f"Account number: {d.get('account_number') or lead.key}")
        bank = ", ".join(
            p
            for p in (
                d.get("bank_name", ""),
                f"code {d['bank_code']}" if d.get("bank_code") else "",
                f"BIC {d['bank_bic']}" if d.get("bank_bic") else "",
            )
            if p
        )
        if bank:
            lines.append(f"Bank: {bank}")
        if d.get("country"):
            lines.append(f"Country: {d['country']}")
        # The account holder's name is what a bank needs to act on a freeze request.
        if d.get("holder_name"):
            lines.append(f"Account holder: {d['holder_name']}")
    elif lead.kind == LeadKind.CRYPTO_WALLET:
        lines.append(f"Chain: {d.get('chain', '')}")
        lines.append(f"Address: {d.get('checksum_address') or d.get('address') or lead.key}")
        if d.get("address_type"):
            lines.append(f"Address type: {d['address_type']}")
    elif lead.kind == LeadKind.HANDLE:
        lines.append(f"Platform: {d.get('platform', '')}")
        lines.append(f"Handle: @{d.get('handle') or lead.key}")
    elif lead.kind == LeadKind.PERSON:
        names = d.get("names") or [lead.value]
        lines.append(f"Names: {'; '.join(map(str, names))}")
        if d.get("aliases"):
            lines.append(f"Aliases: {'; '.join(map(str, d['aliases']))}")
        if d.get("nationality"):
            lines.append(f"Nationality: {d['nationality']}")
        if d.get("date_of_birth"):
            lines.append(f"Date of birth: {d['date_of_birth']}")
        if d.get("role"):
            lines.append(f"Role: {str(d['role']).replace('_', ' ')}")
    else:
        lines.append(f"Value: {lead.key}")
    return lines


def _lead_note(lead: Lead) -> dict[str, Any]:
    kind = _label(LeadKind, lead.kind)
    return {
        **record_properties(lead, "note"),
        "abstract": kind,
        "content": "\n".join([f"{kind}: {lead.key}", *_key_details(lead), _grading(lead)]),
        "object_refs": [stix_id("identity", "workspace", lead.workspace_id)],
    }


def _lead_indicator(lead: Lead, stix_type: str, value: str) -> dict[str, Any]:
    return {
        **record_properties(lead, "indicator"),
        "name": f"{_label(LeadKind, lead.kind)}: {value}",
        "description": _grading(lead),
        "indicator_types": ["malicious-activity"],
        "pattern": f"[{stix_type}:value = {pattern_literal(value)}]",
        "pattern_type": "stix",
        "valid_from": record_properties(lead, "indicator")["created"],
    }


def lead_objects(lead: Lead) -> list[dict[str, Any]]:
    """The STIX objects of one lead (observable + indicator, or a note)."""
    if lead.kind == LeadKind.IP:
        address = str((lead.details or {}).get("address") or lead.key)
        observable = ip_observable(address, tlp=lead.tlp)
        return [observable, _lead_indicator(lead, observable["type"], address)]
    if lead.kind == LeadKind.DOMAIN:
        host = str((lead.details or {}).get("domain") or lead.key)
        observable = {
            "type": "domain-name",
            "spec_version": SPEC_VERSION,
            "id": sco_id("domain-name", host),
            "value": host,
            "object_marking_refs": [TLP_MARKING_IDS[lead.tlp]],
        }
        return [observable, _lead_indicator(lead, "domain-name", host)]
    return [_lead_note(lead)]


def case_grouping(case: Case, visible_leads: Iterable[Lead]) -> dict[str, Any] | None:
    """The case as a grouping of its visible leads' objects; None when it has none."""
    refs: list[str] = []
    for lead in visible_leads:
        for obj in lead_objects(lead):
            if obj["id"] not in refs:
                refs.append(obj["id"])
    if not refs:
        return None
    return {
        **record_properties(case, "grouping"),
        "name": case.title,
        "description": f"Case status: {_label(CaseStatus, case.status)}.",
        "context": "suspicious-activity",
        "object_refs": refs,
    }
