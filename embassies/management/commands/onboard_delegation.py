from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from embassies.choices import DelegationKind
from embassies.services import delegation_onboard


class Command(BaseCommand):
    help = "Onboard a delegation: create it with its workspace and invite its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help='e.g. "Embassy of the Philippines"')
        parser.add_argument("--kind", required=True, choices=DelegationKind.values)
        parser.add_argument("--country", default="", help="ISO 3166-1 alpha-2 code, e.g. PH")
        parser.add_argument("--admin-email", required=True, help="first delegation admin")
        parser.add_argument("--admin-name", default="")

    def handle(self, *args, **opts) -> None:
        try:
            with transaction.atomic():
                delegation, invitation, token = delegation_onboard(
                    actor=None,
                    name=opts["name"],
                    kind=opts["kind"],
                    country=opts["country"].upper(),
                    admin_email=opts["admin_email"],
                    admin_name=opts["admin_name"],
                )
        except ValidationError as exc:
            problems = (
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(problems) from exc
        from django.conf import settings
        from django.urls import reverse

        link = settings.SITE_URL + reverse("invitation_accept", args=[token])
        self.stdout.write(
            self.style.SUCCESS(f"Onboarded {delegation} (workspace {delegation.workspace.slug}).")
        )
        assert invitation is not None and token is not None  # an admin e-mail is required
        self.stdout.write(f"Invitation e-mailed to {invitation.email}; the link (valid once):")
        self.stdout.write(link)
