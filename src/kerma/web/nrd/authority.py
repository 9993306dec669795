"""Who may change what applies to every device: mapping rules "for every device" and the
reference set in use change the results of every unit, so only an administrator may change
them (a physicist keeps the rules of the devices of their units).

At the command line the actor is a name (``--by``, ``KERMA_USER`` or the login name): a name
that is a Kerma account acts with that account's rights; a name that is no account is the
operator of the installation (who already holds the database and its files) and may.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from kerma.web.accounts.scope import device_filter, sees_all_units


def account_of(by: str) -> Any | None:
    """Return the Kerma account named ``by`` (None when the name is no account)."""
    return get_user_model().objects.filter(username=by).first() if by else None


def may_change_every_device(by: str) -> bool:
    """True when ``by`` may change what applies to every device (see the module docstring)."""
    account = account_of(by)
    return account is None or sees_all_units(account)


def refuse_unless_every_device(by: str, what: str) -> None:
    """Raise PermissionDenied (403 on a page, exit 1 at the command line) unless ``by`` may
    change ``what``, a thing that applies to every device."""
    if not may_change_every_device(by):
        raise PermissionDenied(f"{what} applies to every unit: only an administrator may change it")


def devices_of_actor(by: str, prefix: str = "device__") -> Q:
    """Return the filter of the rows of the devices ``by`` may see (every row for an
    administrator or the operator at the command line)."""
    account = account_of(by)
    return Q() if account is None else device_filter(account, prefix)
