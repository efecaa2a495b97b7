import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from embassies.choices import DelegationKind, WorkspaceRole
from embassies.models import Delegation, User, Workspace
from embassies.services import _grant_role, totp_secret_new


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
