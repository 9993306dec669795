"""E-mails through a real SMTP server on loopback: routed per room and role, sent once per
alert and person — never again on page views, recomputation or another call."""

from __future__ import annotations

from datetime import date

import pytest
from tests.web.followup.conftest import PASSWORD, closed_port

from kerma.web.accounts.roles import INSPECTOR, PHYSICIST, RAN
from kerma.web.followup.hooks import on_exam_stored, process_exam
from kerma.web.followup.models import Alert, Notification, NotificationRule
from kerma.web.followup.notify import notify, notify_pending, recipients_for

pytestmark = pytest.mark.django_db

DAY = date(2025, 5, 6)


def test_alert_is_mailed_once_per_person(smtp, room, procedure, user, units, client):
    user(PHYSICIST, email="physicien@example.org")
    user(INSPECTOR, email="inspecteur@example.org")  # not in the rule: no mail
    user(PHYSICIST, unit="other", email="ailleurs@example.org")  # another unit: no mail
    device = room()
    NotificationRule(
        unit=units["main"],
        device=device,
        role=PHYSICIST,
        extra_addresses="cardio@example.org\nPhysicien@example.org",
    ).save()
    NotificationRule(unit=units["main"], device=room("other-room"), role=INSPECTOR).save()
    exam = procedure(device, DAY, kar=5600.0)

    on_exam_stored(sender=None, exam_id=exam.pk)  # what the ingest sends after storing

    alert = Alert.objects.get(exam=exam)
    received = sorted(r for m in smtp.messages for r in m["to"])
    assert received == ["cardio@example.org", "physicien@example.org"]
    body = smtp.messages[0]["data"]
    assert "5600" in body.replace(" ", "").replace("\u202f", "") and "ACC" in body
    assert exam.patient_key not in body  # no patient identifier by e-mail
    assert Notification.objects.filter(alert=alert, sent_at__isnull=False).count() == 2

    # Page views, another notify, a recomputation: nothing more is sent.
    client.login(username=f"{PHYSICIST}-main", password=PASSWORD)
    assert client.get(f"/followup/alerts/{alert.pk}/").status_code == 200
    assert client.get("/followup/").status_code == 200
    assert notify(alert) == 0
    assert notify_pending() == 0
    process_exam(exam)
    assert len(smtp.messages) == 2
    assert Notification.objects.count() == 2


def test_default_recipients_are_the_units_physicists_and_ran(room, procedure, user):
    user(PHYSICIST, email="phys@example.org")
    user(RAN, email="ran@example.org")
    user(INSPECTOR, email="insp@example.org")
    user(PHYSICIST, unit="other", email="other@example.org")
    exam = procedure(room(), DAY, kar=6000.0)
    process_exam(exam, send=False)
    alert = Alert.objects.get()
    assert sorted(a for a, _ in recipients_for(alert)) == ["phys@example.org", "ran@example.org"]


def test_failed_delivery_is_recorded_then_retried_once(smtp, settings, room, procedure, user):
    user(PHYSICIST, email="phys@example.org")
    exam = procedure(room(), DAY, kar=7000.0)
    settings.EMAIL_PORT = closed_port()  # the server is unreachable
    process_exam(exam)
    note = Notification.objects.get()
    assert note.sent_at is None and note.error and note.attempts == 1
    assert smtp.messages == []

    settings.EMAIL_PORT = smtp.port  # back again
    assert notify_pending() == 1
    assert notify_pending() == 0
    note.refresh_from_db()
    assert note.sent_at is not None and note.attempts == 2
    assert len(smtp.messages) == 1


def test_nothing_is_sent_without_smtp_or_for_acknowledged_alerts(
    smtp, settings, room, procedure, user
):
    user(PHYSICIST, email="phys@example.org")
    settings.KERMA_SMTP_CONFIGURED = False
    process_exam(procedure(room(), DAY, kar=7000.0))
    assert smtp.messages == [] and not Notification.objects.exists()
    settings.KERMA_SMTP_CONFIGURED = True
    alert = Alert.objects.get()
    alert.state = "acknowledged"
    alert.save()
    assert notify_pending() == 0 and smtp.messages == []
