"""IP reports and their compound matches as STIX 2.1 objects.

A report becomes its address as an observable (`ipv4-addr` / `ipv6-addr`) plus an `indicator`
marked with the report's TLP and created by its owner workspace. Each compound one of its
active matches points at becomes an `infrastructure` and a `location`, with the relationships
indicator "indicates" infrastructure and infrastructure "located-at" location.

What stays out, and why:
- The report's free-text `note`: officers write whatever they saw ("login to the account of
  <victim's name>"), so it may hold personal data of victims, and nothing structured tells
  which notes do. A bundle travels to other platforms under TLP alone.
- The catalogue's `notes` and `sources` (curators' working text) and the network evidence
  rows themselves; a relationship names only the evidence label (prefix or AS) that matched.

Markings: the catalogue is readable by every member of every workspace
(`permissions.can_view_catalogue`) and only after sign-in, so it is community information,
not public: compound objects and their "located-at" relationships carry TLP:GREEN, not
TLP:CLEAR. An "indicates" relationship reveals the report behind it, so it carries the
report's own marking.

Pure functions over rows the caller has already fetched through the selectors (no queries
here): the export view decides what the reader may see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sharing.choices import TLP
from sharing.stix import (
    SPEC_VERSION,
    TLP_MARKING_IDS,
    record_properties,
    sco_id,
    stix_id,
    timestamp,
)

from .choices import ReportContext

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Compound, IPReport, Match

# The compound catalogue is shared with the whole platform community (see module docstring).
CATALOGUE_TLP = TLP.GREEN

# STIX object types an IP report can bring into a bundle.
REPORT_TYPES = frozenset(
    {"ipv4-addr", "ipv6-addr", "indicator", "infrastructure", "location", "relationship"}
)


def pattern_literal(value: str) -> str:
    """A STIX patterning string literal: quote and backslash escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ip_observable_type(address: str) -> str:
    return "ipv6-addr" if ":" in address else "ipv4-addr"


def ip_observable(address: str, *, tlp: str) -> dict[str, Any]:
    """The `ipv4-addr` / `ipv6-addr` observable, with the id STIX prescribes for its value."""
    stix_type = ip_observable_type(address)
    return {
        "type": stix_type,
        "spec_version": SPEC_VERSION,
        "id": sco_id(stix_type, address),
        "value": address,
        "object_marking_refs": [TLP_MARKING_IDS[TLP(tlp)]],
    }


def report_indicator(report: IPReport) -> dict[str, Any]:
    """The indicator of one report: the address, when and in what context it was seen."""
    context = (
        str(ReportContext(report.context).label) if report.context in ReportContext.values else ""
    )
    facts = [f"Seen {timestamp(report.seen_at)}" + (f" in: {context}" if context else "") + "."]
    if report.port:
        facts.append(f"Port {report.port}.")
    network = " ".join(p for p in (f"AS{report.asn}" if report.asn else "", report.as_org) if p)
    if network:
        facts.append(f"Network: {network}.")
    if report.geo_country:
        facts.append(f"Geolocated country: {report.geo_country}.")
    stix_type = ip_observable_type(report.address)
    return {
        **record_properties(report, "indicator"),
        "name": f"{report.address} ({context})" if context else report.address,
        "description": " ".join(facts),
        "indicator_types": ["malicious-activity"],
        "pattern": f"[{stix_type}:value = {pattern_literal(report.address)}]",
        "pattern_type": "stix",
        "valid_from": timestamp(report.seen_at),
    }


def report_objects(report: IPReport) -> list[dict[str, Any]]:
    """The observable and indicator of one report (its matches: `match_objects`)."""
    return [ip_observable(report.address, tlp=report.tlp), report_indicator(report)]


def compound_infrastructure_id(compound_id: int) -> str:
    return stix_id("infrastructure", "compound", compound_id)


def _catalogue_properties(stix_type: str, object_id: str, compound: Compound) -> dict[str, Any]:
    return {
        "type": stix_type,
        "spec_version": SPEC_VERSION,
        "id": object_id,
        "created": timestamp(compound.created_at),
        "modified": timestamp(max(compound.created_at, compound.updated_at)),
        "object_marking_refs": [TLP_MARKING_IDS[CATALOGUE_TLP]],
    }


def compound_objects(compound: Compound) -> list[dict[str, Any]]:
    """A compound as infrastructure, its location, and the "located-at" between them."""
    infrastructure_id = compound_infrastructure_id(compound.pk)
    location_id = stix_id("location", "compound", compound.pk)
    country = compound.country.code if compound.country else ""
    where = ", ".join(p for p in (compound.area, compound.country.name if country else "") if p)
    infrastructure: dict[str, Any] = {
        **_catalogue_properties("infrastructure", infrastructure_id, compound),
        "name": compound.name,
        "description": (
            f"Scam compound (catalogue status: {compound.get_status_display()})"
            + (f" in {where}" if where else "")
            + "."
        ),
    }
    aliases = [a for a in compound.aliases or [] if isinstance(a, str) and a.strip()]
    if aliases:
        infrastructure["aliases"] = aliases
    objects = [infrastructure]
    location: dict[str, Any] = {
        **_catalogue_properties("location", location_id, compound),
        "name": where or compound.name,
        "description": f"Approximate location of {compound.name}.",
    }
    if country:
        location["country"] = country
    if compound.latitude is not None and compound.longitude is not None:
        location["latitude"] = float(compound.latitude)
        location["longitude"] = float(compound.longitude)
    # STIX requires a region, a country, or coordinates.
    if "country" in location or "latitude" in location:
        objects.append(location)
        objects.append(
            {
                **_catalogue_properties(
                    "relationship", stix_id("relationship", "located-at", compound.pk), compound
                ),
                "relationship_type": "located-at",
                "source_ref": infrastructure_id,
                "target_ref": location_id,
            }
        )
    return objects


def match_objects(report: IPReport, matches: Iterable[Match]) -> list[dict[str, Any]]:
    """For each compound the report's active matches point at: its objects and an "indicates".

    Several matches of one report and compound (a prefix and an AS, say) make one
    relationship, with the highest confidence and every evidence label in its description.
    """
    by_compound: dict[int, list[Match]] = {}
    for match in matches:
        if match.withdrawn_at is None:
            by_compound.setdefault(match.compound_id, []).append(match)
    objects: list[dict[str, Any]] = []
    indicator_id = record_properties(report, "indicator")["id"]
    for compound_id, group in sorted(by_compound.items()):
        compound = group[0].compound
        objects.extend(compound_objects(compound))
        labels = sorted({m.evidence_label for m in group if m.evidence_label})
        weak = sorted({m.warn_category for m in group if m.weak and m.warn_category})
        description = "Matched the compound's network evidence" + (
            f": {', '.join(labels)}." if labels else "."
        )
        if weak:
            description += (
                " Weak: the address lies in shared infrastructure (" + ", ".join(weak) + ")."
            )
        created = min(m.created_at for m in group)
        objects.append(
            {
                **record_properties(report, "relationship"),
                "id": stix_id("relationship", "indicates", report.pk, compound_id),
                "created": timestamp(created),
                "modified": timestamp(max(m.created_at for m in group)),
                "relationship_type": "indicates",
                "source_ref": indicator_id,
                "target_ref": compound_infrastructure_id(compound_id),
                "description": description,
                "confidence": max(m.confidence for m in group),
            }
        )
    return objects
