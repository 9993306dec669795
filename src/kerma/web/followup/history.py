"""Which follow-up audit entries a user may read: alerts (pseudonyms, doses, outcomes), room
geometries, alert settings and e-mail rules of their own units only. Registered with the
history's scopes in :class:`~kerma.web.followup.apps.FollowupConfig`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kerma.web.accounts.history import register_scope
from kerma.web.accounts.scope import device_filter, visible_units
from kerma.web.followup.models import Alert, AlertSettings, NotificationRule, RoomGeometry


def _alerts(user: Any) -> QuerySet:
    return Alert.objects.filter(device_filter(user, "exam__device__"))


def _rooms(user: Any) -> QuerySet:
    return RoomGeometry.objects.filter(device_filter(user, "device__"))


def _alert_settings(user: Any) -> QuerySet:
    return AlertSettings.objects.filter(unit__in=visible_units(user))


def _notification_rules(user: Any) -> QuerySet:
    return NotificationRule.objects.filter(unit__in=visible_units(user))


def register() -> None:
    """Declare the follow-up's audited types to the history page's scopes."""
    register_scope("followup_alert", _alerts)
    register_scope("room_geometry", _rooms)
    register_scope("alert_settings", _alert_settings)
    register_scope("followup_notification_rule", _notification_rules)
