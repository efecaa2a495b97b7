import factory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from embassies.choices import ApiTokenScope, DelegationKind, WorkspaceRole
from embassies.models import Delegation, User, Workspace
from embassies.services import _grant_role, api_token_create, totp_secret_new


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    name = factory.Sequence(lambda n: f"Embassy {n}")
    kind = DelegationKind.EMBASSY
    country = "PH"


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    delegation = factory.SubFactory(DelegationFactory)
    slug = factory.Sequence(lambda n: f"ws-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a confirmed TOTP device; `role` grants a workspace role through the service."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct horse battery staple")
    workspace = None

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create and extracted:
            _grant_role(user=self, workspace=self.workspace, role=WorkspaceRole(extracted))

    @factory.post_generation
    def totp(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create:
            TOTPDevice.objects.create(
                user=self, name="default", key=extracted or totp_secret_new(), confirmed=True
            )


def api_key(user: User, scope: str = ApiTokenScope.WRITE, **kwargs) -> str:
    """A new API key for `user`, issued by the service as the account page issues it."""
    _token, key = api_token_create(
        user=user, name=kwargs.pop("name", "test"), scope=scope, **kwargs
    )
    return key


def token_client(user: User, scope: str = ApiTokenScope.WRITE) -> APIClient:
    """An API client that sends `Authorization: Token <key>` with a fresh key of `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user, scope)}")
    return client


def session_client(user: User) -> APIClient:
    """An API client on a browser session past the second factor.

    The way in for an account without a role, which may not hold API tokens.
    """
    client = APIClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client
