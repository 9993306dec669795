"""Sign-in and session security: lockout after repeated failures (the right password refused
until the cool-off or an administrator's reset), sign-ins in the audit trail and axes' log, idle
and absolute session limits, the Content-Security-Policy and no-store headers, the Host header
checked against the configured names."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse
from django.utils import timezone

from kerma.web.accounts.roles import PHYSICIST
from kerma.web.audit.models import AuditEntry
from kerma.web.middleware import SEEN_AT, SIGNED_IN_AT
from users import role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

PASSWORD = "pw-123456"


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def physicist():
    return role_user("phys", PHYSICIST)


def _sign_in(client, password: str, username: str = "phys"):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR="10.1.2.3")


def _signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def _actions(user) -> list[str]:
    entries = AuditEntry.objects.filter(object_type="user", object_id=str(user.pk))
    return list(entries.order_by("id").values_list("action", flat=True))


def test_defaults_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600  # not Django's two weeks


def test_lockout_refuses_the_right_password_until_an_administrator_resets(
    client, physicist
):
    for _ in range(5):
        response = _sign_in(client, "wrong-password")
    assert response.status_code == 429  # the fifth failure locks the user name
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion verrouillée" in page and "pendant 15 minutes" in page  # French by default
    assert not _signed_in(client)
    actions = _actions(physicist)
    assert actions.count("login_failed") == 6 and "locked_out" in actions
    assert "login" not in actions
    failed = AuditEntry.objects.filter(action="login_failed", object_id=str(physicist.pk)).last()
    assert failed.after == {"username": "phys", "address": "10.1.2.3", "locked_out": True}
    assert "password" not in str(failed.after)
    assert AccessAttempt.objects.filter(username="phys").exists()
    assert AccessFailureLog.objects.filter(username="phys").count() >= 5
    # `kerma manage axes_reset` unlocks: the right password works again, audited. The command
    # is called as `kerma manage` calls it (Django's management), inside the test's transaction:
    # the whole CLI closes the database connection when it ends, which PostgreSQL's test
    # transaction would not survive.
    from django.core.management import call_command

    call_command("axes_reset")
    assert _sign_in(client, PASSWORD).status_code == 302
    assert _signed_in(client)
    assert _actions(physicist)[-1] == "login"
    assert AccessLog.objects.filter(username="phys").exists()


def test_lockout_ends_after_the_cool_off(client, physicist):
    for _ in range(5):
        _sign_in(client, "wrong-password")
    assert _sign_in(client, PASSWORD).status_code == 429
    # Fifteen minutes later (the attempts dated back), the right password works.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _sign_in(client, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_the_limit_is_configurable_and_success_resets_the_count(client, physicist, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _sign_in(client, "wrong-password")
    _sign_in(client, "wrong-password")
    assert _sign_in(client, PASSWORD).status_code == 302  # two failures: not locked
    client.post(reverse("logout"))
    for _ in range(2):
        assert _sign_in(client, "wrong-password").status_code == 200  # counted afresh
    assert _sign_in(client, "wrong-password").status_code == 429


def test_a_failure_for_an_unknown_name_is_audited_for_administrators(client):
    _sign_in(client, "guess", username="nobody")
    entry = AuditEntry.objects.get(action="login_failed")
    assert (entry.object_type, entry.object_id, entry.after["username"]) == ("user", "", "nobody")


def test_an_idle_session_ends(client, physicist):
    assert _sign_in(client, PASSWORD).status_code == 302
    assert _signed_in(client)
    session = client.session
    session[SEEN_AT] = time.time() - 29 * 60  # 29 minutes idle: still signed in
    session.save()
    assert _signed_in(client)
    assert client.session[SEEN_AT] > time.time() - 60  # the request counted as activity
    session = client.session
    session[SEEN_AT] = time.time() - 31 * 60
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not _signed_in(client)
    assert _actions(physicist)[-1] == "logout"


def test_a_session_ends_after_its_maximum_age_even_when_active(client, physicist, settings):
    assert _sign_in(client, PASSWORD).status_code == 302
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_COOKIE_AGE - 1
    session.save()
    assert client.get(reverse("home")).status_code == 302


def test_pages_and_exports_carry_csp_and_no_store(client, physicist):
    client.force_login(physicist)
    for url in (reverse("home"), reverse("exam_list") + "?export=csv", reverse("login"),
                reverse("history")):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy, url
        assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
        assert "no-store" in response["Cache-Control"], url


def test_the_host_header_is_checked(client, physicist, settings):
    for host in ("localhost", "127.0.0.1", "[::1]", socket.gethostname()):
        assert host in settings.ALLOWED_HOSTS
    assert "*" not in settings.ALLOWED_HOSTS
    assert client.get(reverse("login"), HTTP_HOST="evil.example").status_code == 400
    assert client.get(reverse("login"), HTTP_HOST="localhost").status_code == 200
