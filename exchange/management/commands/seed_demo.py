from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from embassies import demo as embassies_demo


class Command(BaseCommand):
    help = "Load demo delegations, users and records (idempotent). Never for production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-users", action="store_true", help="do not print the cast")

    def handle(self, *args, **opts) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo writes public demo passwords: refused in production.")
        rows = embassies_demo.seed()
        # Later apps add their demo records here, each from its own <app>/demo.py.
        if opts["quiet_users"]:
            return
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at http://127.0.0.1:8000/"))
        self.stdout.write(f"Every demo password: {embassies_demo.DEMO_PASSWORD}")
        self.stdout.write(
            "Add the TOTP secret to an authenticator app, or print the current code with "
            "`python manage.py demo_totp EMAIL`."
        )
        width = max(len(r[0]) for r in rows)
        for email, role, secret in rows:
            self.stdout.write(f"  {email:<{width}}  {secret}  {role}")
