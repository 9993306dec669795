"""Which audit entries a user may read: those about the objects of their units.

Entries are kept by object type and id; each audited type of a unit's data says here how to
find the ids a user may see. Types not listed (reference sets, reference choices) are shared by
every unit. The apps built on this one register their types with :func:`register_scope` (the
NRD's evaluations, mappings and corrective actions: :mod:`kerma.web.nrd.history`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from kerma.web.accounts.scope import device_filter, sees_all_units, visible_units
from kerma.web.audit.models import AuditEntry

# object_type -> function(user) -> the ids (as text) the user may see
ScopeFunction = Callable[[Any], "QuerySet | list[Any]"]
_SCOPES: dict[str, ScopeFunction] = {}


def register_scope(object_type: str, ids_of: ScopeFunction) -> None:
    """Declare that entries of ``object_type`` are visible for the ids ``ids_of(user)``."""
    _SCOPES[object_type] = ids_of


def _device_ids(user: Any) -> QuerySet:
    from kerma.web.dose.models import Device

    return Device.objects.filter(device_filter(user, "")).values_list("id", flat=True)


def _user_ids(user: Any) -> QuerySet:
    from django.contrib.auth import get_user_model

    members = get_user_model().objects.filter(units__in=visible_units(user))
    return members.values_list("id", flat=True).distinct()


register_scope("device", _device_ids)
register_scope("device_settings", _device_ids)
register_scope("user", _user_ids)


def visible_entries(user: Any) -> QuerySet:
    """Return the audit entries ``user`` may read, newest first."""
    entries = AuditEntry.objects.order_by("-at", "-id")
    if sees_all_units(user):
        return entries
    allowed = Q(~Q(object_type__in=list(_SCOPES)))
    for object_type, ids_of in _SCOPES.items():
        ids = [str(i) for i in ids_of(user)]
        allowed |= Q(object_type=object_type, object_id__in=ids)
    return entries.filter(allowed)
