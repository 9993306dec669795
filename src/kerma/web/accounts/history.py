"""Which audit entries a user may read: those about the objects of their units, for the roles
that may read the history at all.

Entries are kept by object type and id; each audited type of a unit's data says here how to
find the rows a user may see. Types declared shared (reference sets, reference choices) are
read by every unit. A type declared neither way is shown to administrators only: a new audited
model stays hidden from other units until its scope is declared. Apps built later register
their types with :func:`register_scope` or :func:`register_shared` from their
AppConfig.ready() (:mod:`kerma.web.nrd.history`, :mod:`kerma.web.followup.history`).

The same rules apply to the per-object trails shown on device, evaluation, alert and room pages
(:func:`object_trail`): a role that may not open ``/history/`` sees no trail either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from kerma.web.accounts.scope import device_filter, sees_all_units, visible_units
from kerma.web.audit.models import AuditEntry

# object_type -> function(user) -> the rows (a queryset of the audited model) the user may see
ScopeFunction = Callable[[Any], QuerySet]
_SCOPES: dict[str, ScopeFunction] = {}
_SHARED: set[str] = set()


def register_scope(object_type: str, rows_of: ScopeFunction) -> None:
    """Declare that entries of ``object_type`` are visible for the rows ``rows_of(user)``."""
    _SCOPES[object_type] = rows_of


def register_shared(object_type: str) -> None:
    """Declare that entries of ``object_type`` concern every unit (visible to all readers)."""
    _SHARED.add(object_type)


def history_permission() -> str:
    """Return the permission (``app.codename``) that lets a user read audit entries."""
    return f"{AuditEntry._meta.app_label}.view_auditentry"


def may_read_history(user: Any) -> bool:
    """Return True when ``user``'s role may read the history (not radiographers)."""
    return bool(user.has_perm(history_permission()))


def _devices(user: Any) -> QuerySet:
    from kerma.web.dose.models import Device

    return Device.objects.filter(device_filter(user, ""))


def _users(user: Any) -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(units__in=visible_units(user))


register_scope("device", _devices)
register_scope("device_settings", _devices)  # DeviceSettings is keyed by its device
register_scope("user", _users)


def _text_ids(rows: QuerySet) -> QuerySet:
    """The primary keys of ``rows`` as text, as a subquery (audit entries keep ids as text)."""
    # A name no model field takes (a model may well have an ``audit`` foreign key).
    as_text = rows.order_by().annotate(kerma_history_pk=Cast("pk", CharField()))
    return as_text.values("kerma_history_pk")


def visible_entries(user: Any) -> QuerySet:
    """Return the audit entries ``user`` may read, newest first (none without the permission)."""
    entries = AuditEntry.objects.order_by("-at", "-id")
    if not may_read_history(user):
        return entries.none()
    if sees_all_units(user):
        return entries
    allowed = Q(object_type__in=sorted(_SHARED))
    for object_type, rows_of in _SCOPES.items():
        allowed |= Q(object_type=object_type, object_id__in=_text_ids(rows_of(user)))
    return entries.filter(allowed)


def object_trail(
    user: Any,
    object_types: str | tuple[str, ...],
    object_id: Any,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[Any] | None:
    """Return the audit entries of one object (under one or several audit types) that ``user``
    may read, oldest first (newest first with ``newest_first``; at most ``limit``), or None when
    the user's role may not read the history: the page then shows no trail at all."""
    if not may_read_history(user):
        return None
    types = [object_types] if isinstance(object_types, str) else list(object_types)
    entries = visible_entries(user).filter(object_type__in=types, object_id=str(object_id))
    entries = entries if newest_first else entries.order_by("at", "id")
    return list(entries[:limit] if limit else entries)
