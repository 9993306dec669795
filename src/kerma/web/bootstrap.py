"""Starting Django from the command line: settings, database schema, demo users."""

from __future__ import annotations

import os
import secrets

from kerma import config

_ready = False


def setup(migrate: bool = True) -> None:
    """Configure Django for Kerma and, by default, bring the database schema up to date."""
    global _ready
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kerma.web.settings")
    if _ready:
        return
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    _ready = True


def demo_login() -> tuple[str, str]:
    """Return the demo user's name and password, creating the user on first use.

    The password is generated once per installation and kept in KERMA_HOME/demo-login.txt.
    """
    from django.contrib.auth import get_user_model

    file = config.kerma_home() / "demo-login.txt"
    if file.exists():
        username, password = file.read_text().strip().split(":", 1)
    else:
        username, password = "demo", secrets.token_urlsafe(9)
        file.write_text(f"{username}:{password}\n")
        file.chmod(0o600)
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, is_staff=True, is_superuser=True)
    if not user.check_password(password):
        user.set_password(password)
        user.save()
    _demo_role_users(password)
    return username, password


# One user per role in the demo unit, sharing the demo password: to see what each one may do.
DEMO_ROLE_USERS = {
    "physicien": "physicist",
    "ran": "ran",
    "manip": "radiographer",
    "qualite": "quality_manager",
    "inspecteur": "inspector",
}


def _demo_role_users(password: str) -> None:
    from django.contrib.auth import get_user_model

    from kerma.web.accounts.roles import create_user

    existing = get_user_model().objects.filter(username__in=list(DEMO_ROLE_USERS))
    if existing.count() == len(DEMO_ROLE_USERS):
        return  # made with this password by an earlier run (hashing again costs seconds)
    for username, role in DEMO_ROLE_USERS.items():
        create_user(username, password, role)
