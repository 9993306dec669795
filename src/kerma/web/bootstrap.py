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
    return username, password
