"""Who changed what: the actor of the current operation and the JSON snapshot of a row.

Every change to an audited model (:class:`kerma.web.audit.models.AuditedModel`) writes an
:class:`~kerma.web.audit.models.AuditEntry` with its actor, time and the row before and after.
The actor is, in order: the ``actor=`` argument of ``save()``/``delete()``, the name set with
:func:`acting_as` (the CLI sets it from ``--by``; a view sets it from ``request.user``), else
``"system"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

_actor: ContextVar[str | None] = ContextVar("kerma_actor", default=None)

SYSTEM = "system"


def current_actor() -> str:
    """Return the name of whoever is acting now (``"system"`` when nobody said)."""
    return _actor.get() or SYSTEM


@contextmanager
def acting_as(name: str | None) -> Iterator[None]:
    """Within the block, changes are recorded as made by ``name`` (a user name)."""
    token = _actor.set(name or None)
    try:
        yield
    finally:
        _actor.reset(token)


def actor_of(user: Any) -> str:
    """Return the audit name of a Django user (``"anonymous"`` when not logged in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return str(user.get_username())


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data (dates as ISO text), via Django's encoder."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def row_snapshot(instance: models.Model) -> dict[str, Any]:
    """Return every concrete column of ``instance`` as JSON data, keyed by column name."""
    data = {f.attname: f.value_from_object(instance) for f in instance._meta.concrete_fields}
    return jsonable(data)


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Return the parts of ``before`` and ``after`` that differ (keys of either)."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
