import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings

from cases import demo as cases_demo
from embassies import demo as embassies_demo
from indicators import demo as indicators_demo
from victims import demo as victims_demo


class Command(BaseCommand):
    help = "Load demo delegations, users and records (idempotent). Never for production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-users", action="store_true", help="do not print the cast")

    def handle(self, *args, **opts) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo writes public demo passwords: refused in production.")
        # The demo activity would e-mail its notices to the console and log every eager task,
        # burying the cast printed below: keep both quiet while seeding.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            rows = embassies_demo.seed()
            # Each record app seeds its own demo records, bottom layer first.
            lines: list[str] = []
            for app_demo in (indicators_demo, victims_demo, cases_demo):
                lines += app_demo.seed()
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
        for line in lines:
            self.stdout.write(line)
