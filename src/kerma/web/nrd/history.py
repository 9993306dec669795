"""Which NRD audit entries a user may read: those about the evaluations, protocol mappings and
corrective actions of their units' devices (mappings for every device are shared). Registered
with the history's scopes in :class:`~kerma.web.nrd.apps.NrdConfig`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kerma.web.accounts.history import register_scope
from kerma.web.accounts.scope import device_filter
from kerma.web.nrd.models import CorrectiveAction, Evaluation, ProtocolMapping


def _evaluation_ids(user: Any) -> QuerySet:
    """Return the ids of the evaluations of the user's devices."""
    return Evaluation.objects.filter(device_filter(user, "device__")).values_list("id", flat=True)


def _mapping_ids(user: Any) -> QuerySet:
    """Return the ids of the mappings of the user's devices, and of those for every device."""
    rules = ProtocolMapping.objects.filter(Q(device__isnull=True) | device_filter(user, "device__"))
    return rules.values_list("id", flat=True)


def _action_ids(user: Any) -> QuerySet:
    """Return the ids of the corrective actions of the user's devices' evaluations."""
    actions = CorrectiveAction.objects.filter(device_filter(user, "evaluation__device__"))
    return actions.values_list("id", flat=True)


def register() -> None:
    """Declare the NRD's audited types to the history page's scopes."""
    register_scope("evaluation", _evaluation_ids)
    register_scope("mapping", _mapping_ids)
    register_scope("corrective_action", _action_ids)
