"""Every file upload refuses bad files clearly and stores nothing of them.

The uploads: the IP report CSV (`/ip/upload/`, officers), the compound catalogue
(`/ip/catalogue/import/` and `manage.py import_compounds`, curators). There is no other
FileField or `request.FILES` in the project (checked by `test_no_other_upload_exists`).

For each: over the 5 MB limit, empty, not UTF-8 (UTF-16, Latin-1), a binary file under a .csv
name (PNG, zip), a line the csv module cannot read; each answered on the form with a message
naming the problem, never a 500, and no row stored. File names with path tricks, NUL bytes,
markup or 1,000 characters are never used as a path and are shown escaped. And the one CSV
export (victim records) neutralises spreadsheet formulas in every cell.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadhandler import FileUploadHandler
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given

from indicators.models import Compound, IPReport, NetworkEvidence, UploadJob, WarnListEntry
from tests.victims.factories import victim
from victims.views import csv_safe

from .strategies import PROPERTY, hostile_text

pytestmark = pytest.mark.django_db

AUDIENCE = {"tlp": "amber", "audience": "police"}
SEEN = (timezone.now() - timedelta(hours=2)).isoformat()
GOOD_IP_CSV = f"address,seen_at,context\n8.8.8.8,{SEEN},chat\n9.9.9.9,{SEEN},chat\n"
GOOD_CATALOGUE_CSV = "compound,country,prefix\nKK Park,MM,45.12.0.0/16\n"


def _png() -> bytes:
    """A real 1x1 PNG: signature, IHDR, IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("ips.csv", member)
    return buffer.getvalue()


def multipart(fields: dict[str, str], file_field: str, file_name: bytes, content: bytes):
    """A multipart body written by hand: the test client would clean the file name first."""
    boundary = "----badinput-boundary-7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="'.encode()
        + file_name
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Target:
    """One upload page: who may use it, its other fields, and what it would store."""

    def __init__(self, name, url_name, user_fixture, fields, good):
        self.name, self.url_name, self.user_fixture = name, url_name, user_fixture
        self.fields, self.good = fields, good

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    @staticmethod
    def stored() -> tuple[int, ...]:
        return (
            IPReport.objects.count(),
            UploadJob.objects.count(),
            Compound.objects.count(),
            NetworkEvidence.objects.count(),
            WarnListEntry.objects.count(),
        )


TARGETS = [
    Target("ip_csv", "indicators:report_upload", "alice", AUDIENCE, GOOD_IP_CSV),
    Target(
        "catalogue",
        "indicators:catalogue_import",
        "platform_admin",
        {"format": "auto"},
        GOOD_CATALOGUE_CSV,
    ),
]


@pytest.fixture(params=TARGETS, ids=lambda t: t.name)
def target(request):
    return request.param


@pytest.fixture
def browser(request, target, as_user):
    return as_user(request.getfixturevalue(target.user_fixture))


def _post(browser, target, content: bytes, file_name: bytes = b"upload.csv"):
    body, content_type = multipart(target.fields, "file", file_name, content)
    return browser.post(target.url, data=body, content_type=content_type)


def _file_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    return " ".join(form.errors.get("file", []))


BAD_FILES = [
    # (id, content, words the refusal must contain)
    ("empty", b"", "empty"),
    ("blank-lines", b"\r\n\n  \n", "empty"),
    ("utf16", GOOD_IP_CSV.encode("utf-16"), "UTF-16"),
    ("utf16-le-no-bom", GOOD_IP_CSV.encode("utf-16-le"), "not a text file"),
    ("latin1", "address,note\n8.8.8.8,café à Mae Sot\n".encode("latin-1"), "not UTF-8"),
    ("png", _png(), "not a text file"),
    ("zip", _zip(GOOD_IP_CSV), "not a text file"),
    ("nul-in-text", b"address\n8.8.8.8\x00\n", "NUL"),
    # Header good for both pages (an address column; "compound" first: a catalogue CSV).
    ("csv-field-too-large", b'compound,address\n"' + b"1" * 200_000 + b'",x\n', "not valid CSV"),
]


@pytest.mark.parametrize(
    ("content", "words"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_bad_file_refused_with_its_reason_and_nothing_stored(browser, target, content, words):
    before = target.stored()
    errors = _file_errors(_post(browser, target, content))
    assert words.lower() in errors.lower(), errors
    assert target.stored() == before


def test_file_over_the_limit_refused_and_nothing_stored(browser, target):
    line = f"8.8.8.8,{SEEN},chat\n".encode()
    content = b"address,seen_at,context\n" + line * (
        django_settings.UPLOAD_MAX_BYTES // len(line) + 1
    )
    assert len(content) > django_settings.UPLOAD_MAX_BYTES
    before = target.stored()
    errors = _file_errors(_post(browser, target, content))
    assert "larger than 5 MB" in errors
    assert target.stored() == before


class Recorder(FileUploadHandler):
    """Stands where the memory and temporary-file handlers stand: what would they store?"""

    largest = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        Recorder.largest = max(Recorder.largest, start + len(raw_data))

    def file_complete(self, file_size: int) -> None:
        return None


def test_a_huge_file_is_cut_off_as_it_arrives(browser, target, settings):
    """A 40 MB file: refused with the size it had, and no handler behind the cap (memory,
    temporary file) ever held more than the limit of it."""
    settings.FILE_UPLOAD_HANDLERS = [
        "exchange.uploads.SizeCappedUploadHandler",
        f"{__name__}.Recorder",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    # Past the upload cap but under the request limit in front of it (a larger body is a 413
    # before any handler runs: exchange.middleware.RequestSizeLimitMiddleware).
    settings.WEB_MAX_BODY_BYTES = 64 * 2**20
    Recorder.largest = 0
    content = b"address,seen_at,context\n" + b"8.8.8.8,,chat\n" * (40 * 2**20 // 14)
    before = target.stored()
    errors = _file_errors(_post(browser, target, content))
    assert "larger than 5 MB" in errors
    assert 0 < Recorder.largest <= django_settings.UPLOAD_MAX_BYTES
    assert target.stored() == before


def test_a_file_just_under_the_limit_is_whole(browser, target, settings):
    """The cap passes a file of up to the limit on untouched: a full file, no placeholder."""
    settings.UPLOAD_MAX_BYTES = len(target.good.encode())
    before = target.stored()
    response = _post(browser, target, target.good.encode())
    assert response.status_code == 200 and response.context["result"]
    assert target.stored() != before
    settings.UPLOAD_MAX_BYTES = len(target.good.encode()) - 1
    assert "larger than" in _file_errors(_post(browser, target, target.good.encode()))


def test_utf8_bom_is_accepted(browser, target):
    """Excel's "CSV UTF-8" starts with a byte-order mark: that file is fine."""
    before = target.stored()
    response = _post(browser, target, b"\xef\xbb\xbf" + target.good.encode())
    assert response.status_code == 200
    assert response.context["result"]
    assert target.stored() != before


@pytest.mark.parametrize(
    "file_name",
    [
        b"../../etc/passwd",
        b"..\\..\\windows\\system32\\drivers\\etc\\hosts.csv",
        b"/etc/passwd",
        b"ips\x00.csv",
        b"<img src=x onerror=alert(1)>.csv",
        b"x" * 251 + b".csv",  # the longest name a file system allows
        "ไฟล์ IP 😀.csv".encode(),
    ],
    ids=["dotdot", "backslashes", "absolute", "nul", "markup", "long", "thai-emoji"],
)
def test_file_names_are_never_paths_and_shown_escaped(
    alice, as_user, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks, file_name
):
    """A long upload keeps its file name (the job page shows it): as a label only."""
    settings.INDICATORS_UPLOAD_ASYNC_ROWS = 1  # two rows: an upload job
    monkeypatch.chdir(tmp_path)  # a relative path would land here
    body, content_type = multipart(AUDIENCE, "file", file_name, GOOD_IP_CSV.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(alice).post(
            reverse("indicators:report_upload"), data=body, content_type=content_type, follow=True
        )
    assert response.status_code == 200
    job = UploadJob.objects.get()
    assert job.total_rows == 2 and IPReport.objects.count() == 2
    name = job.file_name
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in ("", ".", "..") and len(name) <= 200
    page = response.content.decode()
    assert "<img src=x" not in page
    assert escape(name) in page
    assert list(tmp_path.iterdir()) == []  # nothing written under the name


def test_absurdly_long_file_name_is_a_bad_request_not_a_crash(alice, as_user):
    """Past Django's 1 KB limit on a part's headers the whole request is refused (400)."""
    body, content_type = multipart(AUDIENCE, "file", b"x" * 1000 + b".csv", GOOD_IP_CSV.encode())
    response = as_user(alice).post(
        reverse("indicators:report_upload"), data=body, content_type=content_type
    )
    assert response.status_code == 400
    assert IPReport.objects.count() == 0 and UploadJob.objects.count() == 0


def test_geofeed_source_names_the_file_without_its_path(platform_admin, as_user):
    compound = Compound.objects.create(name="KK Park", country="MM")
    body, content_type = multipart(
        {"format": "geofeed", "compound": str(compound.pk)},
        "file",
        b"..\\..\\feeds\\<i onclick=x>feed\x00.csv",
        b"# geofeed\n45.12.0.0/16,MM,,Myawaddy,\n",
    )
    response = as_user(platform_admin).post(
        reverse("indicators:catalogue_import"), data=body, content_type=content_type
    )
    assert response.status_code == 200
    assert response.context["result"].created == 1
    source = NetworkEvidence.objects.get().source
    assert source == "geofeed <i onclick=x>feed.csv"
    page = as_user(platform_admin).get(reverse("indicators:compound_detail", args=[compound.pk]))
    assert "<i onclick=x>" not in page.content.decode()
    assert escape(source) in page.content.decode()


def test_import_command_refuses_bad_files_by_name(platform_admin, tmp_path):
    for content, words in [
        (b"", "empty"),
        ("compound\nKK Park\n".encode("utf-16"), "UTF-16"),
        ("compound\nKöln\n".encode("latin-1"), "not UTF-8"),
        (_png(), "not a text file"),
        (_zip(GOOD_CATALOGUE_CSV), "not a text file"),
        (b'compound\n"' + b"k" * 200_000 + b'"\n', "not valid CSV"),
        (b'{"compounds": 5}', "must be a list"),
    ]:
        path = tmp_path / "catalogue.csv"
        path.write_bytes(content)
        with pytest.raises(CommandError, match=words):
            call_command("import_compounds", str(path), stdout=io.StringIO())
        assert Compound.objects.count() == 0


def test_no_other_upload_exists():
    """If a new upload appears, it needs its own cases here."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for app in ("embassies", "sharing", "indicators", "cases", "victims", "exchange"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            if "FileField" in text or "request.FILES" in text:
                found.add(str(path.relative_to(root)))
    assert found == {"indicators/forms.py", "indicators/views.py"}


# --- the CSV export ----------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+41 22 000", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def test_victim_export_neutralises_formulas_in_every_cell(alice, as_user):
    victim(
        alice,
        given_name=FORMULAS[0],
        family_name=FORMULAS[1],
        passport_number=FORMULAS[2],
    )
    record = victim(alice, given_name=FORMULAS[3], family_name=FORMULAS[4], passport_number="P1")
    # Free text besides the identity: the compound where the person was located.
    from victims import services
    from victims.choices import VictimStatus

    services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.LOCATED, located_compound=FORMULAS[5]
    )
    response = as_user(alice).get(reverse("victims:export"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 3
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    for formula in FORMULAS:  # kept and readable, disarmed (the service may trim whitespace)
        assert any(c.startswith("'") and formula.strip() in c for c in cells), formula
    assert response["Content-Type"].startswith("text/csv")


@PROPERTY
@given(hostile_text)
def test_csv_safe_never_leaves_a_formula_and_keeps_the_text(text):
    cell = csv_safe(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)
