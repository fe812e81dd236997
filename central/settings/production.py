"""Production: PostgreSQL (DATABASE_URL), behind a TLS-terminating reverse proxy (nginx).

Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS in the environment. Never lists
central.testing: fault injection and the test administration routes do not exist here.
"""

from __future__ import annotations

import os

from central.settings.base import *  # noqa: F403

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [h for h in os.environ["DJANGO_ALLOWED_HOSTS"].split(",") if h]
CSRF_TRUSTED_ORIGINS = [f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS if h != "*"]

# nginx terminates TLS and says so in X-Forwarded-Proto (config/nginx/central.conf).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = os.environ.get("CENTRAL_HSTS_PRELOAD", "") == "1"
# Preloading is a commitment for the whole domain that only its owner can make (opt-in above).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
