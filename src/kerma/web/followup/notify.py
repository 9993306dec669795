"""E-mail notification of alerts: routed per room (device) and role, sent once per person.

Recipients of an alert come from the unit's active :class:`NotificationRule` rows that apply to
the alert's device (or to every device): the unit's members holding the rule's role who have an
e-mail address, plus the rule's extra addresses. A unit without any rule notifies its medical
physicists and its RAN.

Each (alert, address) pair gets one :class:`Notification` row (sent once, see
:func:`kerma.web.mailing.send_once`): a second call (another page view, a recomputation, another
process) does not send again; a failed attempt is retried. Nothing is sent when no SMTP server
is configured (``KERMA_SMTP_HOST``), nor for an alert already acknowledged or closed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from kerma.web.accounts.roles import PHYSICIST, RAN
from kerma.web.followup.models import QUANTITY_UNITS, Alert, Notification, NotificationRule
from kerma.web.mailing import email_configured, send_once

__all__ = ["email_configured", "message_of", "notify", "notify_pending", "recipients_for"]

DEFAULT_ROLES = (PHYSICIST, RAN)


def _members(unit_id: int, role: str) -> list[tuple[str, str]]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, units__id=unit_id, groups__name=role)
        .exclude(email="")
    )
    return [(u.email, role) for u in users.distinct()]


def recipients_for(alert: Alert) -> list[tuple[str, str]]:
    """Return the (address, role) pairs an alert goes to, each address once (case-insensitive);
    the role is empty for an extra address."""
    device = alert.exam.device
    rules = NotificationRule.objects.filter(unit_id=device.unit_id, active=True)
    pairs: list[tuple[str, str]] = []
    if not rules.exists():
        for role in DEFAULT_ROLES:
            pairs += _members(device.unit_id, role)
    for rule in rules:
        if rule.device_id is not None and rule.device_id != device.pk:
            continue
        if rule.role:
            pairs += _members(device.unit_id, rule.role)
        for line in rule.extra_addresses.replace(",", "\n").splitlines():
            if "@" in line.strip():
                pairs.append((line.strip(), ""))
    seen: set[str] = set()
    unique = []
    for address, role in pairs:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append((address, role))
    return unique


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") if abs(value) >= 100 else f"{value:.3g}"


def message_of(alert: Alert) -> tuple[str, str]:
    """Return the subject and body of the e-mail about ``alert`` (no patient identifier: the
    exam is named by its device, date and accession number)."""
    exam = alert.exam
    unit = QUANTITY_UNITS[alert.quantity]
    with translation.override(settings.LANGUAGE_CODE):
        what = str(alert.get_quantity_display())
        scope = alert.get_scope_display()
        subject = _("[Kerma] Dose alert (%(scope)s): %(what)s %(value)s %(unit)s") % {
            "scope": scope,
            "what": what,
            "value": _fmt(alert.value),
            "unit": unit,
        }
        lines = [
            _("A patient dose indicator reached the unit's follow-up threshold."),
            "",
            f"{what} ({scope}): {_fmt(alert.value)} {unit} ≥ {_fmt(alert.threshold)} {unit}",
            _("Device: %(device)s") % {"device": exam.device},
            _("Study date: %(date)s") % {"date": exam.study_date or "?"},
            _("Accession number: %(number)s") % {"number": exam.accession_number or "-"},
            _("Procedure: %(procedure)s") % {"procedure": exam.procedure or "-"},
        ]
        if alert.window_days:
            lines.append(
                _("Procedures of the patient within %(days)s days: %(count)s")
                % {"days": alert.window_days, "count": len(alert.exam_ids)}
            )
        base = getattr(settings, "KERMA_BASE_URL", "")
        if base:
            lines += ["", f"{base.rstrip('/')}/followup/alerts/{alert.pk}/"]
        lines += ["", _("A medical physicist acknowledges the alert and decides the follow-up.")]
    return subject, "\n".join(lines)


def notify(alert: Alert) -> int:
    """Send the e-mails of ``alert`` not sent yet; return how many were sent now."""
    if not email_configured() or alert.state != Alert.State.OPEN:
        return 0
    subject, body = message_of(alert)
    return sum(
        send_once(
            Notification,
            {"alert": alert, "recipient": address},
            subject,
            body,
            defaults={"role": role},
            what=f"alert {alert.pk}",
        )
        for address, role in recipients_for(alert)
    )


def notify_pending() -> int:
    """Send what is due for every open alert (new recipients, failed attempts); return the count
    of messages sent."""
    total = 0
    for alert in Alert.objects.filter(state=Alert.State.OPEN).select_related("exam__device"):
        total += notify(alert)
    return total
