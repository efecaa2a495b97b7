"""`manage.py readiness [--check NAME ...]`: the /readyz checks from the command line.

The worker's and beat's container health checks run it (`--check worker`, `--check beat`):
each passes while its own heartbeat in Redis is fresh. Prints one JSON object; exits 1 when a
check fails.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.health import readiness

CHECKS = ("database", "cache", "outbox", "matching", "broker", "worker", "beat")


class Command(BaseCommand):
    help = "Run the readiness checks of /readyz (all, or those named) and exit 1 if any fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="append", choices=CHECKS, dest="checks")

    def handle(self, *args: Any, **opts: Any) -> None:
        results = readiness(set(opts["checks"]) if opts["checks"] else None)
        ok = all(check.ok for check in results.values())
        self.stdout.write(
            json.dumps(
                {
                    "status": "ok" if ok else "fail",
                    "checks": {k: v.as_dict() for k, v in results.items()},
                }
            )
        )
        if not ok:
            raise CommandError("not ready", returncode=1)
