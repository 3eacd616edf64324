"""Test settings: the real apps plus a small tracked model that exercises the kernel."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernelapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# textintel: trained suggesters and saved indexes of test runs stay out of var/.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

TEXTINTEL_DIR = Path(tempfile.gettempdir()) / "banshi-textintel-tests"

# API rate limits: out of the way of the suites (the throttling tests set their own).
API_RATE_PER_PRINCIPAL = API_RATE_PER_ADDRESS = API_RATE_OPEN311_POST = "1000000/h"
