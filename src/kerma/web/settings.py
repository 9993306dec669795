"""Django settings for Kerma: everything from kerma.config and the environment.

``KERMA_DEBUG=1`` turns on debug mode for development; it is off otherwise. The secret key is
generated on first use and kept in KERMA_HOME (never in the code).

Security settings (README, "HTTPS and sign-in"): ``KERMA_ALLOWED_HOSTS`` (default: this
machine's names and loopback addresses), ``KERMA_HTTPS=1`` behind a TLS proxy (trusted
``X-Forwarded-Proto``, HSTS, secure cookies, CSRF trusted origins ``https://<allowed host>``
unless ``KERMA_CSRF_TRUSTED_ORIGINS`` is given), ``KERMA_LOGIN_FAILURES`` and
``KERMA_LOGIN_COOLOFF_MINUTES`` (lockout), ``KERMA_SESSION_IDLE_MINUTES`` and
``KERMA_SESSION_MAX_HOURS`` (sessions), ``KERMA_LDAP_URL`` and ``KERMA_LDAP_*`` (directory
sign-in).
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import dj_database_url

from kerma import config

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _number(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


SECRET_KEY = config.secret("django_secret_key")
DEBUG = _flag("KERMA_DEBUG")
HTTPS = _flag("KERMA_HTTPS")
# Any Host header is refused but these: this machine's name and loopback by default.
ALLOWED_HOSTS = _list("KERMA_ALLOWED_HOSTS") or list(
    dict.fromkeys(["localhost", "127.0.0.1", "[::1]", socket.gethostname()])
)


def _origins(hosts: list[str]) -> list[str]:
    """``https://host`` for each allowed host (a ``.domain`` entry as ``https://*.domain``)."""
    return [f"https://*{h}" if h.startswith(".") else f"https://{h}" for h in hosts if h != "*"]


# Behind a TLS proxy that rewrites the Host header, a browser's Origin (https://name) must be
# trusted explicitly: derived from the allowed hosts unless given.
CSRF_TRUSTED_ORIGINS = _list("KERMA_CSRF_TRUSTED_ORIGINS") or (
    _origins(ALLOWED_HOSTS) if HTTPS else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kerma.web.audit",  # the ground floor: the apps after it write their history there
    "kerma.web.accounts",
    "kerma.web.dose",
    "kerma.web.node",
    "kerma.web.nrd",
    "kerma.web.followup",
    "kerma.web.charts",
    "kerma.web.quality",
    "axes",
    "kerma.web.people",
    "kerma.web.patients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kerma.web.middleware.SessionTimeouts",
    "kerma.web.middleware.LoginRequiredEverywhere",
    "kerma.web.middleware.SecurityHeaders",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kerma.web.urls"
WSGI_APPLICATION = "kerma.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(config.database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web pages read while an import writes; NORMAL sync is durable in WAL mode
        # against process crashes, and keeps a commit per report cheap.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=30000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("KERMA_TIME_ZONE", "Europe/Paris")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = config.kerma_home() / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js from the installed plotly package, as kerma/vendor/plotly.min.js
    "kerma.web.charts.finders.PlotlyFinder",
]
# Static files are served by WhiteNoise from the package: no CDN, the hospital network is closed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS reverse proxy, set KERMA_HTTPS=1: the proxy's X-Forwarded-Proto is trusted (and
# `kerma serve` tells waitress to keep it from KERMA_TRUSTED_PROXY, see kerma.config), cookies
# are sent over HTTPS only and browsers are told to use HTTPS for a year (HSTS).
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Pages show only what the server sent: scripts and fonts from the server itself. Styles allow
# inline ones: Plotly styles its charts with style elements and attributes it writes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Sessions end after KERMA_SESSION_IDLE_MINUTES without a request and, in any case,
# KERMA_SESSION_MAX_HOURS after sign-in (kerma.web.middleware.SessionTimeouts).
SESSION_IDLE_SECONDS = _number("KERMA_SESSION_IDLE_MINUTES", 30) * 60
SESSION_COOKIE_AGE = _number("KERMA_SESSION_MAX_HOURS", 10) * 3600

# Sign-in throttling (django-axes): KERMA_LOGIN_FAILURES failed attempts for one user name lock
# it for KERMA_LOGIN_COOLOFF_MINUTES, the right password included; an administrator unlocks it
# sooner with `kerma manage axes_reset_username NAME` (or `axes_reset`, everyone).
AUTHENTICATION_BACKENDS = [
    "kerma.web.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _number("KERMA_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_number("KERMA_LOGIN_COOLOFF_MINUTES", 15))
# By user name: behind a proxy or a shared workstation many users may share one address, and
# a user name's lock is not bypassed by changing address, browser or cookies (hence axes.W006,
# which asks for the address too, is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The client address is the one the server established (waitress has already applied the
# trusted proxy's X-Forwarded-For): a header sent by the client is never believed.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # failures are logged by Kerma's audit trail and axes' tables

# Directory sign-in (LDAP / Active Directory), only when KERMA_LDAP_URL is set; needs the
# optional `ldap` extra (django-auth-ldap, python-ldap). Users signing in the first time get no
# role and no unit: an administrator gives them theirs.
if os.environ.get("KERMA_LDAP_URL"):
    from kerma.web.accounts.ldap import ldap_settings

    globals().update(ldap_settings())
    AUTHENTICATION_BACKENDS.insert(1, "django_auth_ldap.backend.LDAPBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KERMA_LOG_LEVEL", "WARNING")},
}

# E-mail of follow-up alerts (kerma.web.followup.notify): nothing is sent without a host.
EMAIL_HOST = os.environ.get("KERMA_SMTP_HOST", "")
EMAIL_PORT = int(os.environ.get("KERMA_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KERMA_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KERMA_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("KERMA_SMTP_TLS", "").lower() in ("1", "true", "yes")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("KERMA_SMTP_FROM", "kerma@localhost")
KERMA_SMTP_CONFIGURED = bool(EMAIL_HOST)
KERMA_BASE_URL = os.environ.get("KERMA_BASE_URL", "")
