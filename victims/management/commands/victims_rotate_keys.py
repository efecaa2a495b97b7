from django.core.management.base import BaseCommand

from victims.services import identity_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt victims' identity fields under the first key of VICTIMS_ENCRYPTION_KEYS. "
        "Run after putting a new key first; drop the old keys only afterwards."
    )

    def handle(self, *args, **opts) -> None:
        done = identity_reencrypt()
        self.stdout.write(self.style.SUCCESS(f"{done} victim records re-encrypted."))
