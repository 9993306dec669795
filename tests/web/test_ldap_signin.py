"""Directory sign-in against a real OpenLDAP server (slapd on loopback, started by the test):
a directory user signs in through the login page, gets an account with their name and no role
or unit, and is locked out after repeated failures like a local user.

Skipped, saying why, without the optional ``ldap`` extra (python-ldap) or Debian's ``slapd``
(``apt-get install slapd libldap2-dev libsasl2-dev``, ``uv sync --extra ldap``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from tests.conftest import free_port

ldap = pytest.importorskip("ldap", reason="the optional ldap extra is not installed")
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at"),
    pytest.mark.skipif(not Path(SLAPD).exists(), reason="slapd is absent (apt-get install slapd)"),
]

SUFFIX = "dc=hopital,dc=example"
ADMIN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "admin-secret"
PASSWORD = "Dir-Pass-2026"
CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {home}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {home}/db
"""


@pytest.fixture(scope="module")
def directory(tmp_path_factory) -> Iterator[str]:
    """A slapd on 127.0.0.1 holding one person, ``mdupont``; yields its URL."""
    home = tmp_path_factory.mktemp("slapd")
    (home / "db").mkdir()
    conf = home / "slapd.conf"
    conf.write_text(CONFIG.format(home=home, suffix=SUFFIX, admin=ADMIN, password=ADMIN_PASSWORD))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode()) from None
                time.sleep(0.2)
        connection = ldap.initialize(url)
        connection.simple_bind_s(ADMIN, ADMIN_PASSWORD)
        connection.add_s(SUFFIX, [("objectClass", [b"dcObject", b"organization"]),
                                  ("dc", [b"hopital"]), ("o", [b"Hopital"])])
        connection.add_s(f"ou=people,{SUFFIX}", [("objectClass", [b"organizationalUnit"]),
                                                 ("ou", [b"people"])])
        connection.add_s(f"uid=mdupont,ou=people,{SUFFIX}", [
            ("objectClass", [b"inetOrgPerson"]), ("uid", [b"mdupont"]), ("cn", [b"Marie Dupont"]),
            ("givenName", [b"Marie"]), ("sn", [b"Dupont"]), ("mail", [b"m.dupont@hopital.example"]),
            ("userPassword", [PASSWORD.encode()]),
        ])
        connection.unbind_s()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def ldap_settings(directory, settings, monkeypatch):
    """Kerma's settings as KERMA_LDAP_URL & co. make them (kerma.web.accounts.ldap)."""
    from kerma.web.accounts.ldap import ldap_settings as from_environment

    for name, value in {
        "KERMA_LDAP_URL": directory,
        "KERMA_LDAP_BIND_DN": ADMIN,
        "KERMA_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
        "KERMA_LDAP_USER_BASE": f"ou=people,{SUFFIX}",
        "KERMA_LDAP_USER_FILTER": "(uid=%(user)s)",
    }.items():
        monkeypatch.setenv(name, value)
    for name, value in from_environment().items():
        setattr(settings, name, value)
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backends.insert(1, "django_auth_ldap.backend.LDAPBackend")
    settings.AUTHENTICATION_BACKENDS = backends
    return settings


def _sign_in(client, password: str):
    return client.post(reverse("login"), {"username": "mdupont", "password": password})


def test_a_directory_user_signs_in_without_role_or_unit(client, ldap_settings):
    assert _sign_in(client, PASSWORD).status_code == 302
    user = get_user_model().objects.get(username="mdupont")
    assert (user.first_name, user.last_name, user.email) == (
        "Marie", "Dupont", "m.dupont@hopital.example"
    )
    assert not user.groups.exists() and not user.units.exists() and not user.is_superuser
    assert not user.has_usable_password()  # the directory keeps the password


def test_a_directory_user_is_locked_out_too(client, ldap_settings):
    for _ in range(5):
        _sign_in(client, "wrong")
    assert _sign_in(client, PASSWORD).status_code == 429
    assert not get_user_model().objects.filter(username="mdupont").exists()
