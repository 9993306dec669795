"""Every page behind a login (except the login page itself and static files), sessions that
end when idle, and the security headers of every page."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

# Session keys: when the user signed in and when they were last seen (seconds since the epoch).
SIGNED_IN_AT = "kerma_signed_in_at"
SEEN_AT = "kerma_seen_at"
# The last-seen time is written at most once a minute: not a session write per request.
SEEN_RESOLUTION_S = 60


class LoginRequiredEverywhere:
    """Redirects anonymous requests to the login page (health check and static files excepted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            path = request.path_info
            open_paths = (reverse("login"), reverse("set_language"), "/healthz")
            if not (
                path.startswith(settings.STATIC_URL)
                or path in open_paths
                or path.startswith("/admin/login")
            ):
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class SessionTimeouts:
    """Signs out a session idle for ``SESSION_IDLE_SECONDS`` or older than ``SESSION_COOKIE_AGE``.

    The browser's cookie lasts ``SESSION_COOKIE_AGE`` (the absolute limit); the idle limit is
    checked here, on the server, from the last-seen time kept in the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_AT, now)
            seen = session.get(SEEN_AT, now)
            if now - seen > settings.SESSION_IDLE_SECONDS or (
                now - signed_in > settings.SESSION_COOKIE_AGE
            ):
                logout(request)  # the next middleware sends the browser to the login page
            elif now - seen >= SEEN_RESOLUTION_S or SEEN_AT not in session:
                session[SEEN_AT] = now
        return self.get_response(request)


class SecurityHeaders:
    """Adds the Content-Security-Policy to every page, and ``Cache-Control: no-store`` to every
    page and download of a signed-in user (health data is never kept by browsers or proxies).

    Static files are answered by WhiteNoise before this middleware, with their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if not request.path_info.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
