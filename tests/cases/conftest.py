import pytest

from embassies.choices import WorkspaceRole
from tests.embassies.factories import UserFactory

from .factories import KBANK, make_lead


@pytest.fixture
def analyst2(police):
    """A second police analyst: reviews what charlie submitted."""
    return UserFactory(email="dana@police.test", workspace=police, role=WorkspaceRole.ANALYST)


@pytest.fixture
def lead(alice):
    """alpha's lead, shared with police (the usual audience)."""
    return make_lead(alice)


@pytest.fixture
def owner_only(alice):
    """alpha's owner-only lead: bob (bravo) and the analyst must never see it."""
    return make_lead(alice, police=False)


@pytest.fixture
def mule(alice):
    """alpha's bank-account lead, shared with police."""
    return make_lead(alice, kind="bank_account", fields=dict(KBANK))
