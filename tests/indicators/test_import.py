"""`import_compounds` and the upload page: CSV, JSON, geofeed; bad lines; idempotent."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indicators import services
from indicators.models import Compound, IPReport, NetworkEvidence, WarnListEntry

pytestmark = pytest.mark.django_db

# fmt: off
CSV = """compound,country,area,latitude,longitude,status,aliases,prefix,asn,as_org,valid_from,valid_to,confidence,source,notes
KK Park,MM,Myawaddy,16.6,98.5,active,KK Garden|K.K. Park,45.12.64.0/22,,,2024-01-01,,high,press,FICTIONAL DEMO RANGE
KK Park,,,,,,,2a0d:5600:1::/48,,,,,70,press,FICTIONAL DEMO RANGE
Shwe Kokko,MM,Myawaddy,16.83,98.53,raided,,,,,,,,,
Nowhere,,,,,,,,,,,,,,
KK Park,,,,,,,45.12.999.0/24,,,,,,,
KK Park,,,,,,,,AS65000,,,,500,,
KK Park,,,,,,,45.13.0.0/24,,,2025-01-01,2024-01-01,,,
"""  # noqa: E501
# fmt: on


def _run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_compounds", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_import_reports_bad_lines_and_is_idempotent(tmp_path, platform_admin):
    path = tmp_path / "catalogue.csv"
    path.write_text(CSV)
    out, err = _run(path)
    assert "csv: " in out
    lines = err.splitlines()
    assert any(line.startswith("line 5:") and "Country: " in line for line in lines)
    assert any(line.startswith("line 6:") and "not a CIDR prefix" in line for line in lines)
    assert any(line.startswith("line 7:") and "confidence" in line.lower() for line in lines)
    assert any(line.startswith("line 8:") and "window" in line for line in lines)
    kk = Compound.objects.get(name="KK Park")
    assert kk.aliases == ["KK Garden", "K.K. Park"] and float(kk.latitude) == 16.6
    assert sorted(NetworkEvidence.objects.values_list("network", "confidence")) == [
        ("2a0d:5600:1::/48", 70),
        ("45.12.64.0/22", 90),
    ]
    version = services.catalogue_version()
    out2, _ = _run(path)
    assert " 0 created, 0 updated" in out2
    assert services.catalogue_version() == version
    assert NetworkEvidence.objects.count() == 2 and Compound.objects.count() == 2


def test_json_import_with_warn_list(tmp_path, platform_admin):
    data = {
        "compounds": [
            {
                "name": "Dongmei",
                "country": "MM",
                "aliases": ["Huanya"],
                "latitude": 16.7,
                "longitude": 98.5,
                "evidence": [
                    {
                        "prefix": "45.14.0.0/24",
                        "confidence": "medium",
                        "valid_from": "2024-06-01T00:00:00+07:00",
                    },
                    {"asn": "AS65001", "as_org": "FICTIONAL-DEMO-NET"},
                    {"prefix": "bogus"},
                    "not an object",
                ],
            },
            {"name": "", "country": "MM"},
        ],
        "warn_list": [
            {
                "asn": 14593,
                "as_org": "SPACEX-STARLINK",
                "category": "satellite",
                "reason": "Starlink",
            },
            {"prefix": "100.64.0.0/10", "category": "cgnat", "reason": "RFC 6598 shared space"},
            {"prefix": "45.0.0.0/8", "category": "sofa", "reason": "?"},
        ],
    }
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data))
    _out, err = _run(path)
    assert "compounds[0].evidence[2]" in err and "compounds[0].evidence[3]" in err
    assert "compounds[1]" in err and "warn_list[2]" in err
    assert NetworkEvidence.objects.count() == 2 and WarnListEntry.objects.count() == 2
    assert NetworkEvidence.objects.get(kind="prefix").confidence == 60
    out2, _ = _run(path)
    assert " 0 created, 0 updated" in out2


def test_geofeed_import_attaches_prefixes(tmp_path, platform_admin, kk_park):
    path = tmp_path / "feed.csv"
    path.write_text(
        "# RFC 8805 geofeed\n"
        "45.12.64.0/22,MM,MM-13,Myawaddy,\n"
        "2a0d:5600:1::/48,MM,,,\n"
        "not-a-prefix,MM,,,\n"
        "45.12.80.0/24,Myanmar,,,\n"
    )
    _out, err = _run(path, "--compound", "KK Park")
    assert "line 4:" in err and "line 5:" in err
    notes = dict(NetworkEvidence.objects.values_list("network", "notes"))
    assert notes["45.12.64.0/22"] == "geofeed location: Myawaddy, MM-13, MM"
    assert len(notes) == 2
    out2, _ = _run(path, "--compound", "KK Park")
    assert " 0 created" in out2
    with pytest.raises(CommandError):
        _run(path)  # a geofeed needs --compound


def test_import_rematches_existing_reports(
    tmp_path, platform_admin, alice, submit, kk_park, django_capture_on_commit_callbacks
):
    report = IPReport.objects.get(pk=submit(alice, "45.12.64.1").created[0])
    assert report.match_state == "no_match"
    path = tmp_path / "feed.csv"
    path.write_text("45.12.64.0/22,MM,,,\n")
    with django_capture_on_commit_callbacks(execute=True):
        _run(path, "--compound", "KK Park")
    report.refresh_from_db()
    assert report.match_state == "matched"


def test_command_needs_a_curator(tmp_path, alice):
    path = tmp_path / "c.csv"
    path.write_text(CSV)
    with pytest.raises(CommandError):
        _run(path, "--as-user", alice.email)


def test_upload_page(platform_admin, as_user, kk_park):
    upload = SimpleUploadedFile("feed.txt", b"45.12.64.0/22,MM,,,\nbad,MM,,,\n")
    response = as_user(platform_admin).post(
        reverse("indicators:catalogue_import"),
        {"file": upload, "format": "geofeed", "compound": kk_park.pk},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.created == 1 and [p.row for p in result.errors] == ["2"]
    assert b"not a CIDR prefix" in response.content
