"""The matrix makes tens of thousands of refused requests: Django logs each 403/404 with its
traceback at WARNING, which would bury the table it prints. Server errors (ERROR) still show."""

import logging

import pytest


@pytest.fixture(autouse=True)
def _quiet_refusals():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
