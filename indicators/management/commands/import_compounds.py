"""`python manage.py import_compounds FILE [--format csv|json|geofeed] [--compound NAME]`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from embassies.models import User
from indicators.importers import ParseError, catalogue_parse
from indicators.permissions import can_curate
from indicators.services import catalogue_import


class Command(BaseCommand):
    help = (
        "Import scam compounds, network evidence and warn-list entries (idempotent upsert). "
        "Formats -- CSV: header compound,country,area,latitude,longitude,status,aliases,prefix,"
        "asn,as_org,valid_from,valid_to,confidence,source,notes (one compound and optionally one "
        'piece of evidence per row; aliases separated by \'|\'). JSON: {"compounds": [{"name", '
        '"country", "area", "latitude", "longitude", "status", "aliases": [], '
        '"sources", "notes", "evidence": [{"prefix" or "asn"/"as_org", "valid_from", '
        '"valid_to", "confidence", "source", "notes"}]}], "warn_list": [{"prefix" or '
        '"asn"/"as_org", "category", "reason"}]}. Geofeed (RFC 8805): '
        "prefix,country,region,city,postal per line, attached to --compound. Bad lines are "
        "listed with their reason; good ones are kept; re-importing a file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["auto", "csv", "json", "geofeed"], default="auto")
        parser.add_argument("--compound", default="", help="compound a geofeed's prefixes go to")
        parser.add_argument(
            "--as-user",
            default="",
            help="e-mail of the curator recorded as the actor (default: first platform admin)",
        )

    def handle(self, *args, **opts) -> None:
        path: Path = opts["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        actor = self._actor(opts["as_user"])
        try:
            fmt, items = catalogue_parse(
                name=path.name, data=data, fmt=opts["format"], compound=opts["compound"]
            )
        except ParseError as exc:
            raise CommandError(str(exc)) from exc
        result = catalogue_import(actor=actor, items=items)
        for problem in result.errors:
            self.stderr.write(f"line {problem.row}: {problem.value}: {problem.reason}")
        summary = (
            f"{fmt}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.errors)} rejected"
        )
        if not (result.created or result.updated or result.unchanged):
            # A script or cron job must see the failure: exit 1, not 0.
            raise CommandError(f"nothing imported ({summary})")
        self.stdout.write(summary)

    def _actor(self, email: str) -> User:
        qs = User.objects.filter(is_active=True)
        user = (
            qs.filter(email__iexact=email).first()
            if email
            else qs.filter(is_platform_admin=True).order_by("pk").first()
        )
        if user is None or not can_curate(user):
            raise CommandError(
                "no curator to act as: pass --as-user with a police analyst or platform admin"
            )
        return user
