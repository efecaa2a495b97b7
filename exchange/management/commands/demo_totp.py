from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args, **opts) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refused in production.")
        device = TOTPDevice.objects.filter(
            user__email=opts["email"].lower(), confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"No authenticator for {opts['email']}.")
        code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
        self.stdout.write(f"{code:0{device.digits}d}")
