"""OpenAPI description of the verified-session authentication (drf-spectacular)."""

from drf_spectacular.authentication import SessionScheme


class VerifiedSessionScheme(SessionScheme):
    target_class = "embassies.authentication.VerifiedSessionAuthentication"
    name = "verifiedSession"
