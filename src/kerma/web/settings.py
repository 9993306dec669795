"""Django settings for Kerma: everything from kerma.config and the environment.

``KERMA_DEBUG=1`` turns on debug mode for development; it is off otherwise. The secret key is
generated on first use and kept in KERMA_HOME (never in the code).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from kerma import config

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = config.secret("django_secret_key")
DEBUG = os.environ.get("KERMA_DEBUG", "").lower() in ("1", "true", "yes")
ALLOWED_HOSTS = [h for h in os.environ.get("KERMA_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KERMA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kerma.web.accounts",
    "kerma.web.dose",
    "kerma.web.node",
    "kerma.web.nrd",
    "kerma.web.followup",
    "kerma.web.charts",
    "kerma.web.people",
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
    "kerma.web.middleware.LoginRequiredEverywhere",
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
# Behind a TLS reverse proxy, set KERMA_HTTPS=1 for secure cookies and HSTS.
if os.environ.get("KERMA_HTTPS", "").lower() in ("1", "true", "yes"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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
