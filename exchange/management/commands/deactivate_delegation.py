"""`manage.py deactivate_delegation SLUG --reason TEXT [--reactivate]`."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from embassies.models import Workspace
from exchange.operator import delegation_deactivate, delegation_reactivate


class Command(BaseCommand):
    help = (
        "Switch a delegation off: members deactivated and signed out, API tokens revoked, "
        "records kept and still visible to their audience. --reactivate undoes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the workspace's short name")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--reactivate", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        workspace = Workspace.objects.filter(slug=opts["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {opts['slug']}")
        try:
            if opts["reactivate"]:
                back = delegation_reactivate(workspace=workspace, reason=opts["reason"])
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{workspace.slug} reactivated with {len(back)} member(s); their API "
                        "tokens stay revoked (they make new ones)."
                    )
                )
                return
            action = delegation_deactivate(workspace=workspace, reason=opts["reason"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        details = action.details
        self.stdout.write(
            self.style.SUCCESS(
                f"{workspace.slug} deactivated: {len(details['members'])} member(s) signed out, "
                f"{details['tokens_revoked']} API token(s) revoked; records kept."
            )
        )
