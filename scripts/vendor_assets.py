#!/usr/bin/env python3
"""Vendor the front-end packages from the npm registry as built files, pinned and checksummed.

    python scripts/vendor_assets.py            # fetch the pinned versions, copy, write the manifest
    python scripts/vendor_assets.py --check    # verify the vendored files against the manifest

To update a package: change its version in PACKAGES, run the script, look at the pages (the
browser tests), and commit the files with static/vendor/MANIFEST.json. Fetching uses `npm pack`,
so it goes to whichever registry npm is configured for; `make run` and `make test` never need npm:
only the committed files are served.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "static" / "vendor" / "MANIFEST.json"

# name, version, licence, what it is for, and {file in the package: where it goes (from ROOT)}.
ICONS = "static/vendor/bootstrap-icons"
SARABUN_WEIGHTS = ("400", "600", "700")
SARABUN_SUBSETS = ("thai", "latin", "latin-ext", "vietnamese")
PACKAGES: list[dict] = [
    {
        "name": "bootstrap",
        "version": "5.3.9",
        "license": "MIT",
        "purpose": "UI kit: layout, components, the collapsing navigation (no eval, CSP-clean)",
        "files": {
            "LICENSE": "static/vendor/bootstrap/LICENSE",
            "dist/css/bootstrap.min.css": "static/vendor/bootstrap/css/bootstrap.min.css",
            "dist/js/bootstrap.bundle.min.js": "static/vendor/bootstrap/js/bootstrap.bundle.min.js",
        },
    },
    {
        "name": "bootstrap-icons",
        "version": "1.13.2",
        "license": "MIT",
        "purpose": "icons as a web font",
        "files": {
            "LICENSE": "static/vendor/bootstrap-icons/LICENSE",
            "font/bootstrap-icons.min.css": f"{ICONS}/bootstrap-icons.min.css",
            "font/fonts/bootstrap-icons.woff2": f"{ICONS}/fonts/bootstrap-icons.woff2",
            "font/fonts/bootstrap-icons.woff": f"{ICONS}/fonts/bootstrap-icons.woff",
        },
    },
    {
        "name": "htmx.org",
        "version": "2.0.11",
        "license": "0BSD",
        "purpose": "partial page updates (filters, queues, the notice badge); allowEval is off",
        "files": {
            "LICENSE": "static/vendor/htmx/LICENSE",
            "dist/htmx.min.js": "static/vendor/htmx/htmx.min.js",
        },
    },
    {
        "name": "@fontsource/sarabun",
        "version": "5.3.0",
        "license": "OFL-1.1",
        "purpose": "Sarabun, the Thai official document typeface: Thai never renders as boxes",
        "files": {
            "LICENSE": "static/vendor/sarabun/LICENSE",
            **{f"{w}.css": f"static/vendor/sarabun/{w}.css" for w in SARABUN_WEIGHTS},
            **{
                f"files/sarabun-{s}-{w}-normal.{ext}": (
                    f"static/vendor/sarabun/files/sarabun-{s}-{w}-normal.{ext}"
                )
                for w in SARABUN_WEIGHTS
                for s in SARABUN_SUBSETS
                for ext in ("woff2", "woff")
            },
        },
    },
    {
        "name": "axe-core",
        "version": "4.14.1",
        "license": "MPL-2.0",
        "purpose": "accessibility checks in the browser tests only (never served)",
        "files": {
            "LICENSE": "tests/vendor/axe-core/LICENSE",
            "axe.min.js": "tests/vendor/axe-core/axe.min.js",
        },
    },
]


SOURCE_MAP = re.compile(r"\n?(/\*# sourceMappingURL=[^*]*\*/|//# sourceMappingURL=\S*)\s*$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch() -> None:
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in PACKAGES:
            spec = f"{pkg['name']}@{pkg['version']}"
            # A fixed command over our own pinned list; npm goes to the registry it is set up for.
            command = ["npm", "pack", spec, "--silent", "--pack-destination", tmp]
            done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
            out = done.stdout.strip().splitlines()[-1]
            unpacked = Path(tmp) / pkg["name"].replace("/", "_")
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(unpacked, filter="data")
            files = {}
            for src, dest in pkg["files"].items():
                target = ROOT / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpacked / "package" / src, target)
                if target.suffix in (".css", ".js"):
                    # No source maps are vendored; a dangling reference would fail collectstatic's
                    # manifest storage.
                    text = target.read_text(encoding="utf-8")
                    target.write_text(SOURCE_MAP.sub("", text), encoding="utf-8")
                files[dest] = sha256(target)
            about = {k: pkg[k] for k in ("name", "version", "license", "purpose")}
            entries.append(about | {"files": files})
            print(f"vendored {spec}: {len(files)} files")
    MANIFEST.write_text(json.dumps({"packages": entries}, indent=2) + "\n")


def check() -> int:
    bad = 0
    for pkg in json.loads(MANIFEST.read_text())["packages"]:
        for dest, digest in pkg["files"].items():
            path = ROOT / dest
            if not path.exists() or sha256(path) != digest:
                print(f"{pkg['name']} {pkg['version']}: {dest} is missing or changed")
                bad += 1
    print("vendored files match the manifest" if not bad else f"{bad} files differ")
    return 1 if bad else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    sys.exit(check() if parser.parse_args().check else fetch())
