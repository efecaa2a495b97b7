"""The fixed cast every test reuses.

Delegations alpha and bravo (an officer and an admin each), the host police with an analyst,
a platform admin, and an outsider (an account in no workspace with no role).
"""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from embassies.choices import DelegationKind, WorkspaceRole
from tests.embassies.factories import DelegationFactory, UserFactory, WorkspaceFactory

# Property tests check behaviour, not speed: a loaded CI machine must not fail them on
# hypothesis's default 200 ms per-example deadline.
hypothesis_settings.register_profile("exchange", deadline=None)
hypothesis_settings.load_profile("exchange")


@pytest.fixture
def alpha(db):
    return WorkspaceFactory(
        slug="alpha", delegation=DelegationFactory(name="Embassy of Alphaland", country="PH")
    )


@pytest.fixture
def bravo(db):
    return WorkspaceFactory(
        slug="bravo", delegation=DelegationFactory(name="Embassy of Bravonia", country="KE")
    )


@pytest.fixture
def police(db):
    return WorkspaceFactory(
        slug="police",
        delegation=DelegationFactory(
            name="Royal Thai Police", country="TH", kind=DelegationKind.HOST_POLICE
        ),
    )


@pytest.fixture
def alice(alpha):
    """Liaison officer of alpha."""
    return UserFactory(email="alice@alpha.test", workspace=alpha, role=WorkspaceRole.OFFICER)


@pytest.fixture
def alpha_admin(alpha):
    return UserFactory(email="admin@alpha.test", workspace=alpha, role=WorkspaceRole.ADMIN)


@pytest.fixture
def bob(bravo):
    """Liaison officer of bravo."""
    return UserFactory(email="bob@bravo.test", workspace=bravo, role=WorkspaceRole.OFFICER)


@pytest.fixture
def bravo_admin(bravo):
    return UserFactory(email="admin@bravo.test", workspace=bravo, role=WorkspaceRole.ADMIN)


@pytest.fixture
def analyst(police):
    """Charlie, police analyst: member of the host police workspace with the global role."""
    return UserFactory(email="charlie@police.test", workspace=police, role=WorkspaceRole.ANALYST)


@pytest.fixture
def platform_admin(db):
    return UserFactory(email="root@platform.test", is_platform_admin=True)


@pytest.fixture
def outsider(db):
    return UserFactory(email="eve@nowhere.test")


def verified_client(user) -> Client:
    """A browser signed in as `user` who has passed the second factor."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def as_user():
    """`as_user(alice).get(url)`: a verified browser session for any member of the cast."""
    return verified_client


@pytest.fixture
def broker(transactional_db):
    """Tasks go to the real broker in CELERY_BROKER_URL instead of running in-process.

    Skipped when no broker is configured (the embedded default runs tasks eagerly).
    """
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("needs CELERY_BROKER_URL (a real broker)")
    from exchange.celery import app

    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def real_worker(broker):
    """A real Celery worker, in a thread of the test process, consuming from the broker."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(broker, perform_ping_check=False, loglevel="WARNING", pool="solo") as w:
        yield w
