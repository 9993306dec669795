"""E-mail of what is overdue in the quality system, once per item and address.

- An overdue action goes to its owner (a user name: the message goes to that user's address).
- An overdue control or maintenance of a device goes to the quality managers of the device's
  unit; a new due date (the control was done, then is late again) is a new message.

Each (item, address) pair gets one :class:`~kerma.web.quality.models.ActionReminder` row (sent
once, see :func:`kerma.web.mailing.send_once`): a second run sends nothing again; a failed
attempt is kept with its error and retried next time. Nothing is sent without an SMTP server
(``KERMA_SMTP_HOST``). The DICOM node runs these with the other reminders
(:mod:`kerma.ingest.reminders`); ``kerma actions notify`` runs them by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kerma.quality.actions import ActionItem
from kerma.quality.equipment import Due
from kerma.web.accounts.roles import QUALITY_MANAGER
from kerma.web.mailing import email_configured, send_once
from kerma.web.quality.models import ActionReminder
from kerma.web.quality.programme import overdue_items
from kerma.web.quality.words import kind_label

__all__ = [
    "email_configured",
    "message_of",
    "notify_overdue",
    "notify_overdue_controls",
    "owner_address",
]


def owner_address(owner: str) -> str | None:
    """Return the e-mail address of the active user named ``owner`` (None when unknown)."""
    user = get_user_model().objects.filter(username=owner, is_active=True).exclude(email="")
    found = user.first()
    return found.email if found else None


def _link(path: str) -> list[str]:
    base = getattr(settings, "KERMA_BASE_URL", "")
    return ["", f"{base.rstrip('/')}{path}"] if base else []


def message_of(item: ActionItem, today: date) -> tuple[str, str]:
    """Return the subject and body of the reminder about ``item``."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Kerma] Overdue action: %(title)s") % {"title": item.title[:80]}
        lines = [
            _("An action of the quality programme you own is overdue."),
            "",
            item.title,
            _("Due on: %(due)s") % {"due": item.due_on.isoformat() if item.due_on else "-"},
            _("Source: %(source)s") % {"source": item.source},
            *_link("/quality/programme/?overdue=1"),
        ]
    return subject, "\n".join(lines)


def notify_overdue(today: date | None = None) -> int:
    """Send the reminders of overdue actions not sent yet; return how many were sent now."""
    if not email_configured():
        return 0
    day = today or timezone.localdate()
    sent = 0
    for item in overdue_items(None, day):
        address = owner_address(item.owner)
        if address is None:
            continue
        subject, body = message_of(item, day)
        key = {"source": item.source, "ref": item.ref, "recipient": address}
        sent += send_once(ActionReminder, key, subject, body, what=f"action {item.ref}")
    return sent


def control_message(device: Any, due: Due) -> tuple[str, str]:
    """Return the subject and body of the reminder about an overdue control of ``device``."""
    with translation.override(settings.LANGUAGE_CODE):
        kind = kind_label(due.kind)
        subject = _("[Kerma] Overdue control: %(kind)s, %(device)s") % {
            "kind": kind,
            "device": device,
        }
        lines = [
            _("A control or maintenance of a device of your unit is overdue."),
            "",
            f"{device}: {kind}",
            _("Due on: %(due)s") % {"due": due.next_due.isoformat() if due.next_due else "-"},
            _("Periodicity: %(source)s") % {"source": due.source},
            *_link(f"/quality/equipment/device/{device.pk}/"),
        ]
    return subject, "\n".join(lines)


def _quality_managers(unit_id: int) -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, units__id=unit_id, groups__name=QUALITY_MANAGER)
        .exclude(email="")
        .distinct()
    )
    return sorted({u.email for u in users})


def notify_overdue_controls(today: date | None = None) -> int:
    """E-mail each overdue control or maintenance to the quality managers of its device's
    unit, once per due date and address; return how many were sent now."""
    if not email_configured():
        return 0
    from kerma.web.dose.models import Device
    from kerma.web.quality.equipment import device_dues

    day = today or timezone.localdate()
    sent = 0
    for dd in device_dues(Device.objects.select_related("unit"), day):
        for due in dd.overdue:
            subject, body = control_message(dd.device, due)
            ref = f"{dd.device.pk}:{due.kind}:{due.next_due.isoformat() if due.next_due else ''}"
            for address in _quality_managers(dd.device.unit_id):
                key = {"source": "control", "ref": ref, "recipient": address}
                sent += send_once(ActionReminder, key, subject, body, what=f"control {ref}")
    return sent
