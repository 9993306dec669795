"""Which audit entries of the quality registers a user may read: those of their units' rows
(registered with :func:`kerma.web.accounts.history.register_scope`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kerma.web.accounts.history import register_scope
from kerma.web.accounts.scope import device_filter
from kerma.web.quality import models as m


def _rows(model: Any, prefix: str):  # noqa: ANN202 - a function(user) -> QuerySet of rows
    def rows_of(user: Any) -> QuerySet:
        return model.objects.filter(device_filter(user, prefix))

    return rows_of


def register() -> None:
    """Declare the scope of every audited quality model."""
    for model in m.UNIT_MODELS:
        register_scope(model.audit_type, _rows(model, ""))
    for model in m.DEVICE_MODELS:
        register_scope(model.audit_type, _rows(model, "device__"))
    register_scope(m.SystemicAnalysis.audit_type, _rows(m.SystemicAnalysis, "event__"))
    register_scope(m.ProcedureVersion.audit_type, _rows(m.ProcedureVersion, "procedure__"))
