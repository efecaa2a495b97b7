"""Fixtures of the IP exchange tests: a small catalogue and a submission helper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from indicators import services
from sharing.choices import TLP


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    """Test transactions roll the version row back, so one number can mean two catalogues."""
    services._catalogue_cache.clear()
    yield
    services._catalogue_cache.clear()


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def curator(platform_admin):
    return platform_admin


@pytest.fixture
def kk_park(curator):
    return services.compound_save(
        actor=curator, name="KK Park", country="MM", area="Myawaddy", status="active"
    )


@pytest.fixture
def shwe_kokko(curator):
    return services.compound_save(
        actor=curator, name="Shwe Kokko", country="MM", area="Myawaddy", status="active"
    )


@pytest.fixture
def add_evidence(curator):
    def add(compound, network="", **fields):
        fields.setdefault("kind", "prefix" if network else "asn")
        fields.setdefault("confidence", 80)
        return services.evidence_save(actor=curator, compound=compound, network=network, **fields)

    return add


@pytest.fixture
def add_warn(curator):
    def add(network="", **fields):
        fields.setdefault("kind", "prefix" if network else "asn")
        fields.setdefault("category", "cloud")
        fields.setdefault("reason", "shared hosting")
        return services.warn_entry_save(actor=curator, network=network, **fields)

    return add


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Submit rows as `user` and run what the commit triggers (matching) in-process."""

    def do(user, *rows, audience="police", tlp=TLP.AMBER, workspaces=(), **defaults):
        from sharing.services import audience_flags

        full = []
        for n, row in enumerate(rows, start=1):
            if isinstance(row, str):
                row = {"address": row}
            full.append(
                {
                    "row": n,
                    "seen_at": defaults.get("seen_at", timezone.now() - timedelta(hours=1)),
                    "context": defaults.get("context", "scam_call"),
                    **row,
                }
            )
        with django_capture_on_commit_callbacks(execute=True):
            return services.ip_report_submit_batch(
                actor=user,
                rows=full,
                tlp=tlp,
                workspaces=list(workspaces),
                **audience_flags(audience),
            )

    return do
