"""OpenAPI descriptions of the API's two ways in (drf-spectacular extensions)."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "embassies.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )
        scheme["description"] = (
            'A personal API token in the header "Authorization: Token <key>". Create one under '
            "API tokens (a verified sign-in). Read-scoped tokens may only read; tokens expire "
            "and can be revoked."
        )
        return scheme


class VerifiedSessionScheme(SessionScheme):
    target_class = "embassies.authentication.VerifiedSessionAuthentication"
    name = "verifiedSession"
