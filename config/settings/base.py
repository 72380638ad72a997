"""Settings shared by every environment. Environment variables (documented in docs/operations.md):

SASAEAI_SECRET_KEY, SASAEAI_DEBUG, SASAEAI_ALLOWED_HOSTS, DATABASE_URL, and the sign-in settings below.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SASAEAI_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("SASAEAI_DEBUG", "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("SASAEAI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "sasaeai.core.admin_apps.SasaeaiAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # sign-in throttling (see the sign-in security block below)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "sasaeai.core",
    "sasaeai.accounts",
    "sasaeai.plans",
    "sasaeai.progress",
    "sasaeai.evaluation",
    "sasaeai.participation",
    "sasaeai.publishing",
    "sasaeai.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sasaeai.core.middleware.TrustedProxyMiddleware",  # REMOTE_ADDR = the client behind trusted proxies
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sasaeai.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sasaeai.core.middleware.MethodNotAllowedPageMiddleware",  # a Japanese page for a GET on a POST-only address
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lock-out page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sasaeai" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Sign-in security (accounts): passwords, sessions, throttling (django-axes), two-step (django-otp) ---
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "sasaeai.accounts.backends.ModelBackend",  # tells a suspended person so; ends their sessions
]
SASAEAI_PASSWORD_MIN_LENGTH = int(os.environ.get("SASAEAI_PASSWORD_MIN_LENGTH", 10))
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": SASAEAI_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session ends after this many seconds without a request (idle timeout; default a working day).
SASAEAI_SESSION_IDLE_SECONDS = int(os.environ.get("SASAEAI_SESSION_IDLE_SECONDS", 8 * 60 * 60))
SESSION_COOKIE_AGE = SASAEAI_SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True  # every request moves the expiry on, so only idleness ends a session
# Password-reset and e-mail confirmation links are valid this long (seconds).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("SASAEAI_PASSWORD_RESET_SECONDS", 24 * 60 * 60))
SASAEAI_EMAIL_CHANGE_SECONDS = int(os.environ.get("SASAEAI_EMAIL_CHANGE_SECONDS", 24 * 60 * 60))
# django-axes: after FAILURE_LIMIT failed sign-ins within the cool-off time, an account (whatever the
# address) and an address (whatever the account) are refused until the cool-off has passed or an admin
# unlocks the account. The address is REMOTE_ADDR, which the trusted-proxy middleware sets.
AXES_FAILURE_LIMIT = int(os.environ.get("SASAEAI_LOGIN_FAILURE_LIMIT", 10))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SASAEAI_LOGIN_COOLOFF_MINUTES", 30)))
# axes locks an account; an address is locked by sasaeai.accounts.lockout at a higher limit, since a
# whole 社協 office usually shares one address and must not be locked out by a few colleagues' typos.
AXES_LOCKOUT_PARAMETERS = ["username"]
SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT", 50))
# axes warns when ip_address is not among its lockout parameters; addresses are locked, at their own
# limit, by sasaeai.accounts.lockout.address_locked (tests: accounts/tests/test_signin.py).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_CLIENT_IP_CALLABLE = "sasaeai.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "sasaeai.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a success clears that account's failures (never other accounts')
AXES_ENABLE_ADMIN = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token"]  # never kept in the attempt records
# django-otp (TOTP): the name shown in authenticator apps.
OTP_TOTP_ISSUER = os.environ.get("SASAEAI_TOTP_ISSUER", "ささえあい")
# Sign-in waits this long (seconds) for the 6-digit code after a correct password.
SASAEAI_TWO_FACTOR_PENDING_SECONDS = 5 * 60
# --- end of sign-in security ---

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "sasaeai" / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "sasaeai" / "static"]
# WhiteNoise serves static files from the app process, so a deployment is just gunicorn.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploaded photos and documents of progress reports (served only through a permission check).
MEDIA_ROOT = Path(os.environ.get("SASAEAI_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media-not-public/"
SASAEAI_ATTACHMENT_MAX_BYTES = int(os.environ.get("SASAEAI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

# Plan files larger than this are refused before parsing (bytes).
SASAEAI_PLAN_FILE_MAX_BYTES = int(os.environ.get("SASAEAI_PLAN_FILE_MAX_BYTES", 2 * 1024 * 1024))
# Django refuses request bodies above this; keep it just above the plan-file limit so the
# importer, not Django, reports an oversized file with a clear message.
DATA_UPLOAD_MAX_MEMORY_SIZE = SASAEAI_PLAN_FILE_MAX_BYTES + 512 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = SASAEAI_PLAN_FILE_MAX_BYTES + 512 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
# Every import (sasaeai.core.imports): a zip container (an xlsx) may inflate to at most RATIO times
# its size (at least 10 MB) and never more than MAX_INFLATED bytes; bigger is refused before parsing.
# Uploads waiting for confirmation are deleted after PENDING_SECONDS.
SASAEAI_IMPORT_MAX_INFLATED_BYTES = int(os.environ.get("SASAEAI_IMPORT_MAX_INFLATED_BYTES", 200 * 1024 * 1024))
SASAEAI_IMPORT_MAX_INFLATE_RATIO = int(os.environ.get("SASAEAI_IMPORT_MAX_INFLATE_RATIO", 100))
SASAEAI_IMPORT_PENDING_SECONDS = int(os.environ.get("SASAEAI_IMPORT_PENDING_SECONDS", 24 * 60 * 60))

# E-mail (reminders). The console backend prints messages, which is what the demo wants.
EMAIL_BACKEND = os.environ.get("SASAEAI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("SASAEAI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SASAEAI_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("SASAEAI_FROM_EMAIL", "sasaeai@localhost")
# The address people open Sasaeai at; links in e-mails start with it.
SASAEAI_BASE_URL = os.environ.get("SASAEAI_BASE_URL", "http://127.0.0.1:8000")

# Survey response files (CSV / Excel): the largest file and the most rows accepted in one import.
SASAEAI_SURVEY_MAX_BYTES = int(os.environ.get("SASAEAI_SURVEY_MAX_BYTES", 50 * 1024 * 1024))
SASAEAI_SURVEY_MAX_ROWS = int(os.environ.get("SASAEAI_SURVEY_MAX_ROWS", 200_000))
# Online survey answers: at most this many from one address within the window (seconds).
SASAEAI_SURVEY_RATE_LIMIT = int(os.environ.get("SASAEAI_SURVEY_RATE_LIMIT", 5))
SASAEAI_SURVEY_RATE_WINDOW = int(os.environ.get("SASAEAI_SURVEY_RATE_WINDOW", 600))

# Public comment (and online survey) forms: flood and spam limits.
SASAEAI_COMMENT_MIN_SECONDS = int(os.environ.get("SASAEAI_COMMENT_MIN_SECONDS", 3))
SASAEAI_COMMENT_MAX_CHARS = int(os.environ.get("SASAEAI_COMMENT_MAX_CHARS", 4000))
SASAEAI_COMMENT_MAX_URLS = int(os.environ.get("SASAEAI_COMMENT_MAX_URLS", 10))
# "seconds:count" pairs: at most count submissions from one address within seconds.
SASAEAI_COMMENT_RATE_LIMITS = tuple(
    tuple(int(x) for x in pair.split(":"))
    for pair in os.environ.get("SASAEAI_COMMENT_RATE_LIMITS", "600:5,86400:20").split(",")
    if pair.strip()
)

# Client addresses behind a reverse proxy (sasaeai/core/middleware.py, docs/operations.md): the proxies'
# IP addresses or networks, comma-separated. Only requests from these have X-Forwarded-For read.
SASAEAI_TRUSTED_PROXIES = tuple(
    p.strip() for p in os.environ.get("SASAEAI_TRUSTED_PROXIES", "").split(",") if p.strip()
)

# ----------------------------------------------------------------------------------------------
# Security headers, Content-Security-Policy, error pages and the Django admin (every environment;
# production.py adds HTTPS: HSTS, the SSL redirect, secure cookies). See docs/operations.md.
# The pages carry no inline style or script (tests/test_security_headers.py crawls them and checks),
# so the demo and the tests run under the same strict policy production does.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],  # static files only: print.js (体系図 print button) and the Django admin's
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A form sent after its CSRF token went stale gets a Japanese page with a way back (core/error_views.py).
CSRF_FAILURE_VIEW = "sasaeai.core.error_views.csrf_failure"
# Where the Django admin lives (superusers only; councils never need it). Empty: no admin at all.
SASAEAI_ADMIN_PATH = os.environ.get("SASAEAI_ADMIN_PATH", "django-admin/").strip("/")
# ----------------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Invitations (e-mail links and sign-in sheets) work once and expire after this many days.
SASAEAI_INVITATION_DAYS = int(os.environ.get("SASAEAI_INVITATION_DAYS", 7))

# The public site (sasaeai.publishing): rendered public pages are cached this many seconds (a publication
# or withdrawal changes the key at once; the time only bounds how late an opened or closed comment period shows).
SASAEAI_PUBLIC_CACHE_SECONDS = int(os.environ.get("SASAEAI_PUBLIC_CACHE_SECONDS", 300))
# Where the accessibility test run (axe-core) writes its results, shown on /public/accessibility/results/.
SASAEAI_A11Y_RESULTS = os.environ.get("SASAEAI_A11Y_RESULTS", str(BASE_DIR / "var" / "a11y-results.json"))

# django-otp's own back-off after a wrong two-step code (1, 2, 4 … s from the first mistake) refused the right
# code typed a second later; it is off, and accounts.services.account allows a few wrong codes before waiting
# (sign-in codes also count as failed sign-ins for django-axes).
OTP_TOTP_THROTTLE_FACTOR = 0
