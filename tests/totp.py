from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for_key(key_hex: str, step: int = 0) -> str:
    """The current code, or the one `step` periods ahead (accepted as one step of drift)."""
    return f"{TOTP(bytes.fromhex(key_hex), drift=step).token():06d}"


def code_for(user, step: int = 0) -> str:
    return code_for_key(TOTPDevice.objects.get(user=user).key, step)
