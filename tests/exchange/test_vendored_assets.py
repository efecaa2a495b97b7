"""Front-end packages are vendored as built files: pinned, checksummed, licensed, served here."""

import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
MANIFEST = json.loads((ROOT / "static" / "vendor" / "MANIFEST.json").read_text())


def test_every_vendored_file_matches_its_pinned_checksum():
    seen = 0
    for package in MANIFEST["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package["name"]
        for path, digest in package["files"].items():
            data = (ROOT / path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{path} changed by hand"
            seen += 1
    assert seen > 30


def test_every_vendored_package_ships_its_licence():
    for package in MANIFEST["packages"]:
        licences = [p for p in package["files"] if p.endswith("/LICENSE")]
        assert licences and (ROOT / licences[0]).read_text().strip(), package["name"]


def test_the_layout_loads_every_asset_it_names_from_this_site(client, db):
    html = client.get("/accounts/login/").content.decode()
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("bootstrap.min.css" in u for u in urls) and any("htmx.min.js" in u for u in urls)
    for url in urls:
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_vendored_stylesheets_name_only_files_that_are_vendored_too():
    # A font or image a stylesheet points at must be here, or the browser asks the network.
    for css in (ROOT / "static" / "vendor").rglob("*.css"):
        for ref in re.findall(r"url\(['\"]?([^'\")]+)", css.read_text()):
            if ref.startswith("data:"):
                continue  # inline in the stylesheet itself (CSP allows img-src data:)
            assert not ref.startswith(("http:", "https:", "//")), f"{css.name}: {ref}"
            target = (css.parent / ref.split("?")[0]).resolve()
            assert target.exists(), f"{css.name} names {ref}, which is not vendored"


def test_axe_core_is_for_the_tests_only():
    assert not list((ROOT / "static").rglob("axe*.js"))
    assert (ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js").exists()
