"""Enrichment from MaxMind-format .mmdb files, written here with `mmdb-writer` (no fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from indicators import enrichment
from indicators.models import Match

pytestmark = pytest.mark.django_db


def _write(path, database_type: str, records: dict[str, dict]) -> str:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=6, database_type=database_type, description="test", ipv4_compatible=True
    )
    for network, record in records.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return str(path)


@pytest.fixture
def asn_file(tmp_path):
    return _write(
        tmp_path / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "45.64.0.0/24": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": "EXAMPLE-COMPOUND-NET",
            },
            "2a0c:1000::/32": {"autonomous_system_number": 64501},
        },
    )


@pytest.fixture
def country_file(tmp_path):
    return _write(
        tmp_path / "country.mmdb",
        "GeoLite2-Country",
        {
            "45.64.0.0/25": {"country": {"iso_code": "MM"}},
            "46.8.8.0/24": {"registered_country": {"iso_code": "KH"}},
        },
    )


def test_asn_and_country_files_together(settings, asn_file, country_file):
    settings.GEOIP_MMDB_PATH = [asn_file, country_file]
    got = enrichment.enrich("45.64.0.7")
    assert (got.asn, got.as_org, got.country) == (64500, "EXAMPLE-COMPOUND-NET", "MM")
    assert enrichment.enrich("45.64.0.200").country == ""  # outside the country /25
    assert enrichment.enrich("46.8.8.1").country == "KH"  # City/Country fallback field
    assert enrichment.enrich("2a0c:1000::5").asn == 64501
    unknown = enrichment.enrich("8.8.8.8")
    assert (unknown.asn, unknown.as_org, unknown.country) == (None, "", "")
    today = datetime.now(UTC).date()
    info = enrichment.source_info()
    assert info.name == f"GeoLite2-ASN ({today:%Y-%m-%d}) + GeoLite2-Country ({today:%Y-%m-%d})"
    assert info.data_date == today
    assert "GeoLite2 data created by MaxMind" in info.attribution
    assert got.source == info.name


def test_combined_file_in_one_record(settings, tmp_path):
    settings.GEOIP_MMDB_PATH = [
        _write(
            tmp_path / "combined.mmdb",
            "Custom-ASN-Country",
            {
                "45.64.0.0/24": {
                    "autonomous_system_number": 64502,
                    "autonomous_system_organization": "COMBINED",
                    "country": {"iso_code": "la"},
                }
            },
        )
    ]
    got = enrichment.enrich("45.64.0.9")
    assert (got.asn, got.as_org, got.country) == (64502, "COMBINED", "LA")
    assert "MaxMind-format" in enrichment.source_info().attribution  # not claimed as GeoLite2


def test_unset_setting_keeps_the_bundled_data(settings):
    settings.GEOIP_MMDB_PATH = []
    assert enrichment.enrich("1.46.0.1").country == "TH"
    assert "geoip2fast" in enrichment.source_info().attribution


@pytest.mark.parametrize("content", [None, b"not a maxmind database at all"])
def test_missing_or_invalid_file_fails_clearly(settings, tmp_path, content):
    path = tmp_path / "broken.mmdb"
    if content is not None:
        path.write_bytes(content)
    settings.GEOIP_MMDB_PATH = [str(path)]
    with pytest.raises(ImproperlyConfigured, match="GEOIP_MMDB_PATH: cannot read"):
        enrichment.mmdb_check()  # what IndicatorsConfig.ready() runs at start-up
    with pytest.raises(ImproperlyConfigured, match=r"broken\.mmdb"):
        enrichment.enrich("45.64.0.7")


def test_submission_uses_mmdb_asn_for_asn_evidence(
    settings, asn_file, country_file, alice, as_user, kk_park, add_evidence, submit
):
    settings.GEOIP_MMDB_PATH = [asn_file, country_file]
    add_evidence(kk_park, asn=64500, confidence=70)
    submit(alice, "45.64.0.7")
    match = Match.objects.get()
    assert match.report.asn == 64500 and match.report.geo_country == "MM"
    assert match.report.enrichment_source.startswith("GeoLite2-ASN (")
    page = as_user(alice).get(reverse("indicators:report_detail", args=[match.report_id]))
    assert "GeoLite2-ASN (" in page.content.decode()
