"""Test settings: the project's settings plus a small example app for the sharing core."""

from exchange.settings import *  # noqa: F403
from exchange.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.sharing_example"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests run tasks in-process unless they ask for the real worker (the `celery_worker` fixture).
CELERY_TASK_ALWAYS_EAGER = True
LANGUAGE_CODE = "en"
