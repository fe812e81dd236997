"""The demo on a laptop: SQLite in the working directory, fault injection and the test
administration routes available (CENTRAL_TEST_ADMIN_TOKEN), loopback only."""

from __future__ import annotations

import os

from central.settings.test import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "demo-only-secret-key-not-for-production"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
DEBUG = os.environ.get("CENTRAL_DEBUG", "") == "1"
# The demo's emails (tax receipts) are files to open, in the working directory.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("CENTRAL_EMAIL_DIR") or "sent-mail"
