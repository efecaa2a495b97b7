"""Demo delegations and users for `seed_demo`. Passwords and TOTP secrets are public demo values."""

from __future__ import annotations

import hashlib

from django.db import transaction

from .choices import DelegationKind, WorkspaceRole
from .models import Delegation, User, Workspace
from .services import user_create_with_totp
from .totp import base32_secret

DEMO_PASSWORD = "demo-exchange-2026"

DELEGATIONS = [
    ("Royal Thai Police", DelegationKind.HOST_POLICE, "TH", "police"),
    ("Embassy of the People's Republic of China", DelegationKind.EMBASSY, "CN", "china"),
    ("Embassy of Viet Nam", DelegationKind.EMBASSY, "VN", "vietnam"),
    ("Embassy of Indonesia", DelegationKind.EMBASSY, "ID", "indonesia"),
    ("Embassy of India", DelegationKind.EMBASSY, "IN", "india"),
    ("UNODC Regional Office", DelegationKind.INTERNATIONAL_ORG, "", "unodc"),
    ("Homeland Security Investigations (HSI)", DelegationKind.FOREIGN_LAW_ENFORCEMENT, "US", "hsi"),
]


def demo_totp_key(email: str) -> str:
    """A stable demo TOTP key per address, so re-running the seed prints the same secrets."""
    return hashlib.sha256(f"demo-totp:{email}".encode()).hexdigest()[:40]


def _user(email: str, workspace: Workspace | None, role: str | None, name: str, **kw) -> User:
    existing = User.objects.filter(email=email).first()
    if existing:
        return existing
    return user_create_with_totp(
        email=email,
        password=DEMO_PASSWORD,
        workspace=workspace,
        role=role,
        full_name=name,
        totp_key=demo_totp_key(email),
        **kw,
    )


@transaction.atomic
def seed() -> list[tuple[str, str, str]]:
    """Create the demo cast; returns (email, role, TOTP secret) rows to print."""
    rows: list[tuple[str, str, str]] = []
    admin = _user("admin@demo.exchange", None, None, "Platform Admin", is_platform_admin=True)
    rows.append((admin.email, "platform admin", base32_secret(demo_totp_key(admin.email))))
    for name, kind, country, slug in DELEGATIONS:
        delegation, _ = Delegation.objects.get_or_create(
            name=name, defaults={"kind": kind, "country": country}
        )
        workspace, _ = Workspace.objects.get_or_create(
            delegation=delegation, defaults={"slug": slug}
        )
        cast = [
            (f"admin@{slug}.demo", WorkspaceRole.ADMIN),
            (f"officer@{slug}.demo", WorkspaceRole.OFFICER),
        ]
        if kind == DelegationKind.HOST_POLICE:
            cast.append((f"analyst@{slug}.demo", WorkspaceRole.ANALYST))
        for email, role in cast:
            _user(email, workspace, role, f"{role.label} ({workspace.slug})")
            rows.append((email, f"{role.label}, {name}", base32_secret(demo_totp_key(email))))
    return rows
