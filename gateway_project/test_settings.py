"""Settings for the test suite: the real settings plus test-only tools and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")

from gateway_project.settings import *  # noqa: E402,F403
from gateway_project.settings import BASE_DIR, DATABASES, GATEWAY_TOOL_MODULES, MIDDLEWARE  # noqa: E402

GATEWAY_TOOL_MODULES = [*GATEWAY_TOOL_MODULES, "tests.tools_for_tests"]
MIDDLEWARE = [*MIDDLEWARE, "tests.tools_for_tests.WorkerPidMiddleware"]

# Two test runs in one checkout at once (several people or agents) each set their own suffix.
_TEST_DB_SUFFIX = os.environ.get("GATEWAY_TEST_DB_SUFFIX", "")
if DATABASES["default"]["ENGINE"] == "gateway_project.sqlite_backend":
    # A file, not :memory:, so servers started by the tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db{_TEST_DB_SUFFIX}.sqlite3")}
elif _TEST_DB_SUFFIX:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_TEST_DB_SUFFIX}"}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the apps, as under DEBUG, instead of a collected STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
