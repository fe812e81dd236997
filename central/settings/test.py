"""Tests: SQLite or PostgreSQL from DATABASE_URL, plus fault injection and the test
administration routes (guarded by the X-Central-Admin-Token header, CENTRAL_TEST_ADMIN_TOKEN)."""

from __future__ import annotations

import os

from central.settings.base import *  # noqa: F403
from central.settings.base import DATABASES, INSTALLED_APPS, MIDDLEWARE

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "test-only-secret-key-not-for-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = [*INSTALLED_APPS, "central.testing"]
# First: a fault must be able to pre-empt everything, and recording sees the final answer.
MIDDLEWARE = ["central.testing.faults.FaultMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "central.testing.urls"
CENTRAL_TEST_ADMIN_TOKEN = os.environ.get("CENTRAL_TEST_ADMIN_TOKEN", "")
# Fast password hashing: tests create users, they do not defend them.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The administration routes take whole catalogs with their images.
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 << 20
# Django's test runner (``central test``): on SQLite, a file beside the database, not memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}
# Email: written as files in CENTRAL_EMAIL_DIR when set (the tests read them), else kept in
# memory (nothing leaves the machine).
if os.environ.get("CENTRAL_EMAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["CENTRAL_EMAIL_DIR"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
