"""Production settings: HTTPS everywhere. Every variable is described in docs/operations.md.

Required: SASAEAI_SECRET_KEY, DATABASE_URL, SASAEAI_BASE_URL (links in e-mails and on sign-in sheets),
and SASAEAI_ALLOWED_HOSTS for the site's host name.
Missing ones stop the program with a message instead of quietly running on a development key or a
new empty db.sqlite3. `manage.py check --deploy` reports no issue with these settings.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"環境変数 {name} が設定されていません。本番用の設定（config.settings.production）では必須です"
            f"（docs/operations.md の「Settings」を参照）。 / The environment variable {name} is required "
            "by config.settings.production (see docs/operations.md, Settings)."
        )
    return value


def _switch(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


DEBUG = False
SECRET_KEY = _required("SASAEAI_SECRET_KEY")
DATABASES = {"default": dj_database_url.parse(_required("DATABASE_URL"), conn_max_age=60)}
# The address people open Sasaeai at: invitation and password-reset e-mails and printed sign-in sheets
# carry links that start with it, so the development default (127.0.0.1) must never reach production.
SASAEAI_BASE_URL = _required("SASAEAI_BASE_URL").rstrip("/")
if not SASAEAI_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "SASAEAI_BASE_URL は https:// で始まる公開アドレスにしてください（例: https://sasaeai.example.jp）。"
        " / SASAEAI_BASE_URL must be the site's public https:// address."
    )

# HTTPS. Behind a proxy that ends TLS and sets X-Forwarded-Proto (and removes any a client sent),
# set SASAEAI_TLS_PROXY=1 so Django knows the request came in over HTTPS.
if _switch("SASAEAI_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _switch("SASAEAI_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SASAEAI_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _switch("SASAEAI_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _switch("SASAEAI_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SASAEAI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Switching one of these off is a decision the operator made (documented), not an oversight for
# `check --deploy` to warn about: the proxy redirects to HTTPS, or the domain is not preloaded.
SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,  # base.py's (axes.W006: addresses are locked by sasaeai.accounts.lockout)
    *([] if SECURE_SSL_REDIRECT else ["security.W008"]),
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
