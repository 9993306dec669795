"""Which NRD audit entries a user may read: those about the evaluations, protocol mappings and
corrective actions of their units' devices (mappings for every device are seen by all); reference
sets and the reference choice concern every unit. Registered with the history's scopes in
:class:`~kerma.web.nrd.apps.NrdConfig`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kerma.web.accounts.history import register_scope, register_shared
from kerma.web.accounts.scope import device_filter
from kerma.web.nrd.models import CorrectiveAction, Evaluation, ProtocolMapping


def _evaluations(user: Any) -> QuerySet:
    """Return the evaluations of the user's devices."""
    return Evaluation.objects.filter(device_filter(user, "device__"))


def _mappings(user: Any) -> QuerySet:
    """Return the mappings of the user's devices, and those for every device."""
    return ProtocolMapping.objects.filter(Q(device__isnull=True) | device_filter(user, "device__"))


def _actions(user: Any) -> QuerySet:
    """Return the corrective actions of the user's devices' evaluations."""
    return CorrectiveAction.objects.filter(device_filter(user, "evaluation__device__"))


def register() -> None:
    """Declare the NRD's audited types to the history page's scopes."""
    register_scope("evaluation", _evaluations)
    register_scope("mapping", _mappings)
    register_scope("corrective_action", _actions)
    register_shared("reference_set")
    register_shared("reference_choice")
