"""STIX 2.1 building blocks: TLP 2.0 markings, stable ids, workspace identities, bundles.

Each record app turns its own records into STIX objects with these helpers; the export view
collects them from querysets already filtered by `visible_to`, so a bundle never holds more
than its reader may see. Every object carries its TLP marking, and the bundle carries the
marking-definition objects it references.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from embassies.models import Workspace

from .choices import TLP

SPEC_VERSION = "2.1"
# The OASIS TLP 2.0 marking extension and its five published marking-definition objects
# (oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_MARKING_IDS: dict[str, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP_CREATED = "2022-10-01T00:00:00.000Z"

# Namespace for deterministic ids: the same record exports under the same STIX id every time,
# so a receiving platform updates rather than duplicates it.
NAMESPACE = uuid.UUID("6f1d8a43-1a55-4b7e-9a36-2f0c3b6f5e10")


# STIX 2.1 section 2.9: cyber-observable ids are UUIDv5 in this namespace over their
# id-contributing properties.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def stix_id(stix_type: str, *key: object) -> str:
    """A stable id for one of our objects, in the UUIDv4 form STIX asks for domain objects.

    Derived from a hash of the key (not random) so re-exports keep their ids.
    """
    digest = uuid.uuid5(NAMESPACE, "|".join(map(str, (stix_type, *key))))
    return f"{stix_type}--{uuid.UUID(bytes=digest.bytes, version=4)}"


def sco_id(stix_type: str, value: str) -> str:
    """The id STIX prescribes for an observable such as `ipv4-addr` with this value."""
    canonical = json.dumps({"value": value}, separators=(",", ":"), ensure_ascii=False)
    return f"{stix_type}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def timestamp(value: datetime) -> str:
    """STIX timestamps: UTC with millisecond precision and a Z."""
    from datetime import UTC

    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def tlp_marking(tlp: str) -> dict[str, Any]:
    """The published marking-definition object for a TLP 2.0 level."""
    level = TLP(tlp)
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": TLP_MARKING_IDS[level],
        "created": _TLP_CREATED,
        "name": level.label,
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.value},
        },
    }


def workspace_identity(workspace: Workspace) -> dict[str, Any]:
    """The delegation that owns a record, as the STIX identity that created it."""
    delegation = workspace.delegation
    return {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": stix_id("identity", "workspace", workspace.pk),
        "created": timestamp(delegation.created_at),
        "modified": timestamp(delegation.created_at),
        "name": delegation.name,
        "identity_class": "organization",
    }


def record_properties(record: Any, stix_type: str) -> dict[str, Any]:
    """Common properties of a STIX object made from a shared record."""
    created = timestamp(record.created_at)
    return {
        "type": stix_type,
        "spec_version": SPEC_VERSION,
        "id": stix_id(stix_type, type(record)._meta.label_lower, record.pk),
        "created": created,
        "modified": created,
        "created_by_ref": stix_id("identity", "workspace", record.workspace_id),
        "object_marking_refs": [TLP_MARKING_IDS[TLP(record.tlp)]],
    }


def bundle(objects: Iterable[dict[str, Any]], workspaces: Iterable[Workspace]) -> dict[str, Any]:
    """A bundle of `objects` with the identities and TLP markings they reference."""
    objects = list(objects)
    referenced = {ref for obj in objects for ref in obj.get("object_marking_refs", [])}
    markings = [tlp_marking(level) for level, mid in TLP_MARKING_IDS.items() if mid in referenced]
    identities = {w.pk: workspace_identity(w) for w in workspaces}
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [*markings, *identities.values(), *objects],
    }
