"""Users of the web tests: a role, or a list of permissions, and the units they belong to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission, User

from kerma.web.accounts.models import Membership, Unit
from kerma.web.accounts.roles import create_user


def role_user(username: str, role: str, units: list[Unit] | None = None) -> User:
    """A user with one of Kerma's roles, member of ``units`` (default: the default unit)."""
    return create_user(username, "pw-123456", role, units)


def perms_user(username: str, perms: list[str], units: list[Unit] | None = None) -> Any:
    """A user holding exactly ``perms`` (``app.codename`` or a bare nrd codename)."""
    user = User.objects.create_user(username, password="pw-123456")
    wanted = []
    for perm in perms:
        app, _, codename = perm.rpartition(".")
        query = Permission.objects.filter(codename=codename)
        wanted += list(query.filter(content_type__app_label=app or "nrd"))
    user.user_permissions.set(wanted)
    for unit in units if units is not None else [Unit.default()]:
        Membership.objects.get_or_create(user=user, unit=unit)
    return user
