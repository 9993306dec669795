"""Directory sign-in (LDAP, Active Directory) with django-auth-ldap, from ``KERMA_LDAP_*``.

Used only when ``KERMA_LDAP_URL`` is set; it needs the optional ``ldap`` extra
(``uv sync --extra ldap``: django-auth-ldap and python-ldap, which builds against the system's
OpenLDAP and SASL headers, ``apt-get install libldap2-dev libsasl2-dev``).

- ``KERMA_LDAP_URL``: ``ldaps://dc1.hospital.example`` (or ``ldap://`` with
  ``KERMA_LDAP_START_TLS=1``);
- ``KERMA_LDAP_BIND_DN`` / ``KERMA_LDAP_BIND_PASSWORD``: the account that searches (empty:
  anonymous search);
- ``KERMA_LDAP_USER_BASE``: where users are searched (``OU=Staff,DC=hospital,DC=example``),
  with ``KERMA_LDAP_USER_FILTER`` (default ``(sAMAccountName=%(user)s)``, Active Directory's;
  ``(uid=%(user)s)`` for OpenLDAP); or ``KERMA_LDAP_USER_DN_TEMPLATE``
  (``uid=%(user)s,ou=people,dc=example``) to bind directly without a search.

A directory user signing in for the first time gets a Kerma account with no role and no unit:
they see nothing until an administrator gives them theirs. Lockout after failed sign-ins applies
to directory sign-ins as to local ones.
"""

from __future__ import annotations

import os
from typing import Any


def ldap_settings() -> dict[str, Any]:
    """Return the django-auth-ldap settings (``AUTH_LDAP_*``) from the environment.

    Raises ImportError naming the extra to install when django-auth-ldap is missing.
    """
    try:
        import ldap
        from django_auth_ldap.config import LDAPSearch
    except ImportError as exc:  # the optional extra is not installed
        raise ImportError(
            "KERMA_LDAP_URL is set but django-auth-ldap is not installed: "
            "apt-get install libldap2-dev libsasl2-dev, then uv sync --extra ldap"
        ) from exc
    env = os.environ.get
    values: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": env("KERMA_LDAP_URL", ""),
        "AUTH_LDAP_BIND_DN": env("KERMA_LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env("KERMA_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": env("KERMA_LDAP_START_TLS", "").lower() in ("1", "true", "yes"),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        # Active Directory does not follow referrals for anonymous binds.
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_REFERRALS: 0},
    }
    template = env("KERMA_LDAP_USER_DN_TEMPLATE")
    if template:
        values["AUTH_LDAP_USER_DN_TEMPLATE"] = template
    else:
        values["AUTH_LDAP_USER_SEARCH"] = LDAPSearch(
            env("KERMA_LDAP_USER_BASE", ""),
            ldap.SCOPE_SUBTREE,
            env("KERMA_LDAP_USER_FILTER") or "(sAMAccountName=%(user)s)",
        )
    return values
