"""Demo compounds, warn-list and IP reports for `seed_demo` (idempotent).

The compounds are publicly reported ones, at approximate public locations. Their network
ranges are FICTIONAL DEMO RANGES: real-format prefixes chosen for the demo, labelled as such
in every source and note. They say nothing about whoever actually holds that address space.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from embassies.models import User

from .importers import CatalogueItem
from .services import catalogue_import, ip_report_submit_batch

FICTIONAL = "FICTIONAL DEMO RANGE - not evidence about the real holder of this space"

COMPOUNDS: list[dict[str, Any]] = [
    {
        "name": "KK Park",
        "aliases": ["KK Garden"],
        "country": "MM",
        "area": "Myawaddy, Kayin State (Moei river, south of Myawaddy)",
        "latitude": "16.60000",
        "longitude": "98.50000",
        "status": "raided",
        "sources": "Widely reported in international media and UNODC reports (2023-2025).",
        "evidence": [("45.12.64.0/22", 80), ("2a0d:5600:1::/48", 70)],
    },
    {
        "name": "Shwe Kokko",
        "aliases": ["Yatai New City"],
        "country": "MM",
        "area": "Shwe Kokko, Myawaddy township, Kayin State",
        "latitude": "16.83000",
        "longitude": "98.53000",
        "status": "active",
        "sources": "Reported by UNODC, USIP and international media.",
        "evidence": [("45.13.16.0/24", 75), ("45.13.17.0/24", 60)],
    },
    {
        "name": "Dongmei Park",
        "aliases": ["Huanya", "Dongmei"],
        "country": "MM",
        "area": "Myawaddy, Kayin State",
        "latitude": "16.73000",
        "longitude": "98.55000",
        "status": "active",
        "sources": "Reported in international media (2023-2025).",
        "evidence": [("45.14.0.0/23", 70)],
    },
    {
        "name": "Golden Triangle SEZ (Kings Romans)",
        "aliases": ["Kings Romans"],
        "country": "LA",
        "area": "Bokeo province, near the Mekong tri-border",
        "latitude": "20.36000",
        "longitude": "100.08000",
        "status": "active",
        "sources": "US Treasury designation (2018) and international reporting.",
        "evidence": [("45.15.128.0/22", 65)],
    },
]

WARN_LIST: list[dict[str, Any]] = [
    {"asn": 14593, "as_org": "SPACEX-STARLINK", "category": "satellite",
     "reason": "Starlink satellite internet: one address serves many unrelated terminals"},
    {"asn": None, "as_org": "Myanma Posts and Telecommunications", "category": "mobile",
     "reason": "MPT: Myanmar's largest mobile carrier, CGNAT-ed mobile customers"},
    {"asn": None, "as_org": "Total Access Communication PLC.", "category": "mobile",
     "reason": "dtac: Thai mobile carrier"},
    {"asn": None, "as_org": "AMAZON-02", "category": "cloud",
     "reason": "Amazon Web Services: anyone can rent these addresses"},
    {"asn": None, "as_org": "M247 Europe SRL", "category": "vpn",
     "reason": "M247: hosts many commercial VPN exit nodes"},
]  # fmt: skip

# (officer e-mail, audience, [(address, ISO time, context, note)])
REPORTS = [
    (
        "officer@china.demo",
        "police",
        [
            ("45.12.64.17", "2026-03-02T09:15:00+07:00", "scam_call", "WeChat call to a victim"),
            ("45.12.65.200", "2026-03-04T21:40:00+07:00", "chat", ""),
            ("2a0d:5600:1:4::12", "2026-03-06T11:05:00+07:00", "victim_login", ""),
            ("98.97.12.34", "2026-03-07T02:10:00+07:00", "chat", "Starlink terminal"),
            ("8.8.8.8", "2026-03-08T08:00:00+07:00", "other", "Resolver seen in logs"),
        ],
    ),
    (
        "officer@vietnam.demo",
        "all",
        [
            ("45.12.64.17", "2026-03-03T10:00:00+07:00", "scam_call", "Same caller as a family"),
            ("45.13.16.9", "2026-03-05T13:30:00+07:00", "scam_website", "Fake exchange site"),
        ],
    ),
    (
        "officer@indonesia.demo",
        "owner",
        [("45.14.1.33", "2026-03-09T16:45:00+07:00", "chat", "Telegram recruiter")],
    ),
]


def _catalogue_items() -> list[CatalogueItem]:
    items: list[CatalogueItem] = []
    for spec in COMPOUNDS:
        fields = {k: v for k, v in spec.items() if k != "evidence"}
        items.append(CatalogueItem(spec["name"], "compound", fields))
        for prefix, confidence in spec["evidence"]:
            items.append(
                CatalogueItem(
                    prefix,
                    "evidence",
                    {
                        "compound": spec["name"],
                        "kind": "prefix",
                        "network": prefix,
                        "asn": None,
                        "as_org": "",
                        "valid_from": datetime(2024, 1, 1, tzinfo=UTC),
                        "valid_to": None,
                        "confidence": confidence,
                        "source": FICTIONAL,
                        "notes": FICTIONAL,
                    },
                )
            )
    # Publicly reported: compounds use Starlink terminals. As satellite space, an AS match alone
    # is never attributed to a compound (the demo's Starlink report stays "no match").
    items.append(
        CatalogueItem(
            "Shwe Kokko AS",
            "evidence",
            {
                "compound": "Shwe Kokko",
                "kind": "asn",
                "network": "",
                "asn": 14593,
                "as_org": "SPACEX-STARLINK",
                "valid_from": datetime(2024, 1, 1, tzinfo=UTC),
                "valid_to": None,
                "confidence": 30,
                "source": "FICTIONAL DEMO EVIDENCE",
                "notes": "Demo of the satellite rule: an AS match alone is not attributed.",
            },
        )
    )
    for entry in WARN_LIST:
        items.append(
            CatalogueItem(entry["as_org"], "warn", {"kind": "asn", "network": "", **entry})
        )
    return items


def seed() -> list[str]:
    """Create this app's demo records (idempotent); return lines to print."""
    admin = User.objects.filter(email="admin@demo.exchange").first()
    if admin is None:
        return ["indicators: no platform admin; run the embassies demo first"]
    result = catalogue_import(actor=admin, items=_catalogue_items())
    created = 0
    for email, audience, rows in REPORTS:
        officer = User.objects.filter(email=email).first()
        if officer is None:
            continue
        batch = ip_report_submit_batch(
            actor=officer,
            rows=[
                {"row": n, "address": a, "seen_at": t, "context": c, "note": note}
                for n, (a, t, c, note) in enumerate(rows, start=1)
            ],
            tlp="amber",
            police_access=audience != "owner",
            shared_with_all=audience == "all",
        )
        created += len(batch.created)
    return [
        f"IP exchange: catalogue {result.created} created / {result.unchanged} unchanged "
        f"(network ranges are {FICTIONAL.split(' - ')[0]}), {created} demo IP reports added."
    ]
