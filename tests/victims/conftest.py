import pytest

from .factories import victim


@pytest.fixture
def record(alice):
    """Alpha's record with the default audience (alpha + police)."""
    return victim(alice)


@pytest.fixture
def owner_only(alice):
    """Alpha's owner-only record: bravo and the analyst must never see it."""
    return victim(alice, police_access=False, given_name="Ownerina")
