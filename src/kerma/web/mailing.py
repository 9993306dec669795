"""E-mail sent once per item and recipient: the pattern every reminder of Kerma follows
(follow-up alerts, overdue actions and controls, training to renew).

Each (item, address) pair has one row of a *sent-once* model (fields ``sent_at``,
``attempts``, ``error``), written and locked in a transaction around the SMTP exchange: a second
call (another run, another process) finds the row and does not send again; a failed attempt
keeps its error and is tried again next time; a sent message never is. Nothing is sent when no
SMTP server is configured (``KERMA_SMTP_HOST``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def email_configured() -> bool:
    """True when an SMTP server is configured (``KERMA_SMTP_HOST``)."""
    return bool(getattr(settings, "KERMA_SMTP_CONFIGURED", False))


def send_once(
    model: type[models.Model],
    key: dict[str, Any],
    subject: str,
    body: str,
    *,
    defaults: dict[str, Any] | None = None,
    what: str = "",
) -> bool:
    """Send ``subject``/``body`` to ``key["recipient"]`` unless ``model``'s row of ``key`` says
    it was sent; record the attempt (and its error) on that row. Return True when sent now."""
    address = key["recipient"]
    with transaction.atomic():
        note, _created = model.objects.select_for_update().get_or_create(
            **key, defaults=defaults or {}
        )
        if note.sent_at is not None:
            return False
        note.attempts += 1
        sent = False
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception as exc:  # noqa: BLE001 - any SMTP failure is recorded, not raised
            note.error = f"{type(exc).__name__}: {exc}"
            log.warning("%s: e-mail to %s failed: %s", what or model.__name__, address, exc)
        else:
            note.sent_at = timezone.now()
            note.error = ""
            sent = True
        note.save()
    return sent
