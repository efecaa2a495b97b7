"""`manage.py reset_second_factor EMAIL --reason TEXT`: a lost phone."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from embassies.models import User
from exchange.operator import second_factor_reset


class Command(BaseCommand):
    help = (
        "Remove an account's authenticator and sign it out everywhere; the next sign-in enrols "
        "a new one. Audited (exchange.OperatorAction)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--reason", required=True, help="e.g. the ticket number")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(email__iexact=opts["email"]).first()
        if user is None:
            raise CommandError(f"no account {opts['email']}")
        removed = second_factor_reset(user=user, reason=opts["reason"])
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.email}: {removed} authenticator(s) removed and signed out; the next "
                "sign-in enrols a new one."
            )
        )
