"""E-mail about training expiring or expired: sent once per certificate and address.

For each active person whose training is *expiring* or *expired* on the day, the message goes
to the person (when an address is recorded) and to the quality managers and RAN of the
person's units who have an address. Each (person, last valid day, address) gets one
:class:`~kerma.web.people.models.TrainingNotice` row (sent once, see
:func:`kerma.web.mailing.send_once`): a second run does not send again; a new certificate (a new
last valid day) is a new message; a failed attempt is retried on the next run. Nothing is sent
without an SMTP server (``KERMA_SMTP_HOST``). The DICOM node runs it with the other reminders
(:mod:`kerma.ingest.reminders`); ``kerma training notify`` runs it by hand.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kerma.people import Status
from kerma.web.accounts.roles import QUALITY_MANAGER, RAN
from kerma.web.mailing import email_configured, send_once
from kerma.web.people.models import Person, TrainingNotice
from kerma.web.people.services import PersonTraining, people_with_rows, training_of

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
            key = {
                "person": row.person,
                "valid_until": row.status.valid_until,
                "recipient": address,
            }
            sent += send_once(TrainingNotice, key, subject, body, what=f"training of {row.person}")
    return sent
