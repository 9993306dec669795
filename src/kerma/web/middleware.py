"""Every page behind a login, except the login page itself and static files."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


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
