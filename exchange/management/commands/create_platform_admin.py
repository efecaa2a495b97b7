"""`manage.py create_platform_admin EMAIL [--name NAME] [--password-stdin]`."""

import getpass
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from exchange.operator import platform_admin_create


class Command(BaseCommand):
    help = (
        "Create the first (or another) platform admin. The password is asked for (or read from "
        "standard input with --password-stdin); the authenticator app is enrolled at the first "
        "sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the passwords differ")
        try:
            user = platform_admin_create(
                email=opts["email"], password=password, full_name=opts["name"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Platform admin {user.email} created."))
        self.stdout.write(
            f"Sign in at {settings.SITE_URL}{reverse('login')}; the first sign-in enrols the "
            "authenticator app (a QR code to scan)."
        )
