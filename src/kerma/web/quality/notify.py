"""E-mail of overdue actions to their owner, once per action and address.

The owner of an action is a user name (or a name); the message goes to that user's address.
Each (action, address) pair gets one :class:`~kerma.web.quality.models.ActionReminder` row,
locked in a transaction around the SMTP exchange, so a second run sends nothing again; a failed
attempt is kept with its error and retried next time. Nothing is sent without an SMTP server
(``KERMA_SMTP_HOST``), as for the follow-up alerts (:mod:`kerma.web.followup.notify`).
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kerma.quality.actions import ActionItem
from kerma.web.followup.notify import email_configured
from kerma.web.quality.models import ActionReminder
from kerma.web.quality.programme import overdue_items

__all__ = ["email_configured", "message_of", "notify_overdue", "owner_address"]

log = logging.getLogger(__name__)


def owner_address(owner: str) -> str | None:
    """Return the e-mail address of the active user named ``owner`` (None when unknown)."""
    user = get_user_model().objects.filter(username=owner, is_active=True).exclude(email="")
    found = user.first()
    return found.email if found else None


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
        ]
        base = getattr(settings, "KERMA_BASE_URL", "")
        if base:
            lines += ["", f"{base.rstrip('/')}/quality/actions/"]
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
        with transaction.atomic():
            note, _created = ActionReminder.objects.select_for_update().get_or_create(
                source=item.source, ref=item.ref, recipient=address
            )
            if note.sent_at is not None:
                continue
            note.attempts += 1
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception as exc:  # noqa: BLE001 - any SMTP failure is recorded, not raised
                note.error = f"{type(exc).__name__}: {exc}"
                log.warning("action %s: e-mail to %s failed: %s", item.ref, address, exc)
            else:
                note.sent_at = timezone.now()
                note.error = ""
                sent += 1
            note.save()
    return sent
