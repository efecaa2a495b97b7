from django.core.management.base import BaseCommand, CommandError

from victims.services import ReencryptNeedsOwner, identity_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt victims' identity fields and free-text notes (records, screenings, the "
        "timeline) under the first key of VICTIMS_ENCRYPTION_KEYS. Run after putting a new key "
        "first, as the database role that runs migrations (the timeline is append-only); drop "
        "the old keys only afterwards. Values already under the first key are skipped, so a "
        "rerun only does what is left."
    )

    def handle(self, *args, **opts) -> None:
        try:
            done = identity_reencrypt()
        except ReencryptNeedsOwner as exc:
            raise CommandError(f"{exc}. Keep the old keys until this has run.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted under the current key: {done.records} victim records, "
                f"{done.screenings} screenings, {done.events} timeline entries."
            )
        )
