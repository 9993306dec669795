"""E-mail about training expiring or expired: sent once per certificate and address.

For each active person whose training is *expiring* or *expired* on the day, the message goes
to the person (when an address is recorded) and to the quality managers and RAN of the
person's units who have an address. Each (person, last valid day, address) gets one
:class:`~kerma.web.people.models.TrainingNotice` row, locked in a transaction around the SMTP
exchange (the pattern of :mod:`kerma.web.followup.notify`): a second run does not send again; a
new certificate (a new last valid day) is a new message. A failed attempt is kept with its
error and retried on the next run. Nothing is sent without an SMTP server
(``KERMA_SMTP_HOST``). Run by ``kerma training notify`` (e.g. daily from cron).
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

from kerma.people import Status
from kerma.web.accounts.roles import QUALITY_MANAGER, RAN
from kerma.web.followup.notify import email_configured
from kerma.web.people.models import Person, TrainingNotice
from kerma.web.people.services import PersonTraining, people_with_rows, training_of

log = logging.getLogger(__name__)

ROLES = (QUALITY_MANAGER, RAN)


def recipients_for(person: Person) -> list[str]:
    """Return the addresses a message about ``person`` goes to, each once (case-insensitive)."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, units__in=person.units.all(), groups__name__in=ROLES
        )
        .exclude(email="")
        .distinct()
    )
    addresses = ([person.email] if person.email else []) + [u.email for u in users]
    seen: set[str] = set()
    return [a for a in addresses if not (a.lower() in seen or seen.add(a.lower()))]


def message_of(row: PersonTraining) -> tuple[str, str]:
    """Return the subject and body of the message about ``row`` (in the site's language)."""
    person, status = row.person, row.status
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Kerma] Patient radiation-protection training of %(name)s") % {
            "name": person.name
        }
        lines = [notice.text(settings.LANGUAGE_CODE) for notice in status.notices]
        lines += [
            "",
            _("Certificate of %(day)s, valid %(years)s years.")
            % {"day": status.certificate_on, "years": status.years},
            _("Renewal: a training following the guide of the profession (decision 2017-DC-0585)."),
        ]
    return subject, "\n".join(lines)


def notify_training(on: date | None = None) -> int:
    """Send the messages due on ``on`` (default today) not sent yet; return how many were sent."""
    if not email_configured():
        return 0
    day = on or timezone.localdate()
    rows = training_of(people_with_rows(Person.objects.all()), day)
    sent = 0
    for row in rows:
        if row.status.status not in (Status.EXPIRING, Status.EXPIRED):
            continue
        subject, body = message_of(row)
        for address in recipients_for(row.person):
            with transaction.atomic():
                note, _created = TrainingNotice.objects.select_for_update().get_or_create(
                    person=row.person, valid_until=row.status.valid_until, recipient=address
                )
                if note.sent_at is not None:
                    continue
                note.attempts += 1
                try:
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                except Exception as exc:  # noqa: BLE001 - any SMTP failure is recorded
                    note.error = f"{type(exc).__name__}: {exc}"
                    log.warning("training of %s: e-mail to %s failed: %s", row.person, address, exc)
                else:
                    note.sent_at = timezone.now()
                    note.error = ""
                    sent += 1
                note.save()
    return sent
