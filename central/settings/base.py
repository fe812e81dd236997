"""Settings shared by every environment; production, test and demo extend them."""

from __future__ import annotations

import os
from pathlib import Path

from central.settings.database import database_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "central.common",
    "central.accounts",
    "central.catalog",
    "central.devices",
    "central.donations",
    "central.receipts",
    "central.claims",
    "central.engagement",
    "central.sponsors",
    "central.insights",
    "central.reconciliation",
    "central.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The back office speaks French or English: the visitor's choice (set_language), else
    # the browser's Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "central.urls"
WSGI_APPLICATION = "central.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# The donor pages are translated here (French; English is the source).
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or str(Path.cwd() / "static")

# Request bodies: the device API caps them itself (413 before reading, see common.http); this
# is Django's own cap for forms. Photo uploads are files, capped by the photo form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1 << 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 1 << 20

# Enrollment: codes live 7 days by default; failed attempts are counted per client address
# in the database (shared by every app process) and refused past the limit with a 429.
CENTRAL_ENROLL_CODE_DAYS = 7
CENTRAL_ENROLL_FAILURES_PER_WINDOW = int(os.environ.get("CENTRAL_ENROLL_FAILURES", "10"))
CENTRAL_ENROLL_WINDOW_S = int(os.environ.get("CENTRAL_ENROLL_WINDOW_S", "900"))
# The request header a trusted reverse proxy sets to the client's address (nginx:
# X-Real-IP, as config/nginx/central.conf sets it), e.g. "HTTP_X_REAL_IP". Unset: REMOTE_ADDR.
CENTRAL_CLIENT_IP_HEADER = os.environ.get("CENTRAL_CLIENT_IP_HEADER", "")
# Heartbeat history rows are kept this long; hourly roll-ups are kept for good.
CENTRAL_HEARTBEAT_RETENTION_DAYS = 30
# Tax-receipt claims (docs/receipts.md, "Withdrawal and retention"): an issued receipt's copy
# is kept six years from its issue (livre des procédures fiscales, art. L102 E and L102 B);
# a claim never issued only until the tax return of its gift's year is past.
CENTRAL_RECEIPT_RETENTION_YEARS = 6
CENTRAL_UNISSUED_CLAIM_RETENTION_DAYS = 548
# Pledges: sign-ups a client address may send per window (each mails a confirmation link),
# and how long after a pledge's deadline its signatures (emails) are kept before
# `central prune-pledges` deletes them (the counts stay on the pledge).
CENTRAL_PLEDGE_SIGNS_PER_WINDOW = int(os.environ.get("CENTRAL_PLEDGE_SIGNS", "10"))
CENTRAL_PLEDGE_WINDOW_S = int(os.environ.get("CENTRAL_PLEDGE_WINDOW_S", "900"))
CENTRAL_PLEDGE_RETENTION_DAYS = 90
# Photos: the largest accepted upload, the pixel cap checked from the header before decoding,
# and the longest side of the stored, re-encoded image.
CENTRAL_PHOTO_MAX_BYTES = 10 << 20
CENTRAL_PHOTO_MAX_PIXELS = 40_000_000
CENTRAL_PHOTO_MAX_SIDE = 1280

# The back office's own pages (central.backoffice): sign-in, and what the fleet page calls a
# problem. Kiosks send a heartbeat every 300 s by default (kiosk.toml sync.heartbeat_interval_s);
# one missed heartbeat is a hiccup, two are a silent kiosk. A kiosk refuses donations under
# 200 MiB free (donations.min_free_disk_mb): warn at twice that, before it stops.
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:start"
CENTRAL_HEARTBEAT_INTERVAL_S = 300
CENTRAL_LOW_DISK_BYTES = 400 << 20
CENTRAL_BACKLOG_MAX_AGE_S = 24 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Email (tax receipts to donors): SMTP in production (EMAIL_HOST etc. from the environment).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "recus@localhost")
CENTRAL_PUBLIC_URL = os.environ.get("CENTRAL_PUBLIC_URL", "")
