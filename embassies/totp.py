"""Helpers to show a TOTP secret to a person enrolling an authenticator app."""

from base64 import b32encode
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings


def base32_secret(key_hex: str) -> str:
    return b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")


def provisioning_uri(*, key_hex: str, account: str) -> str:
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": base32_secret(key_hex), "issuer": issuer, "digits": 6})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data: str) -> str:
    """An inline SVG QR code: no image request, no script, nothing from outside."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
