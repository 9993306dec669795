"""The sign-in lockout backend: django-axes's, for sign-ins that come with a web request.

django-axes refuses to authenticate without a request. A web sign-in (the login page, the
admin's) always has one and is counted and locked out; code that checks a password without a
request (Django's test client, scripts) has no client to throttle, so this backend steps aside
for it and lets the next backend decide.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes's lockout check, skipped when there is no request."""

    def authenticate(self, request: Any, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        """Raise ``AxesBackendPermissionDenied`` when the user name is locked out; return None
        otherwise (this backend never signs anyone in)."""
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
