"""The DICOM node page: status and association log, for administrators only."""

from __future__ import annotations

import json
import os
import time

import pytest
from django.utils import timezone

from kerma.web.node.models import Association

pytestmark = pytest.mark.django_db


def _write_status(home, **changes) -> None:
    status = {"aet": "KERMA", "host": "0.0.0.0", "port": 11112, "pid": os.getpid(),
              "listening": True, "started_at": "2026-11-23T08:00:00", "received_today": 42,
              "day": "2026-11-23", "backlog": 3, "imported": 40, "replaced": 0,
              "duplicates": 1, "quarantined": 1, "database_ok": True, "last_error": "",
              "updated_at": "2026-11-23T09:00:00", "updated_epoch": time.time(), **changes}
    (home / "node-status.json").write_text(json.dumps(status))


def test_staff_sees_status_and_associations(client, django_user_model, kerma_home):
    _write_status(kerma_home)
    Association.objects.create(key="a1", calling_aet="INTRUDER", address="10.0.0.9",
                               started_at=timezone.now(), outcome="rejected",
                               reason="calling AE 'INTRUDER' is not in the allow-list")
    admin = django_user_model.objects.create_user("admin", password="pw-123456",
                                                  is_staff=True)
    client.force_login(admin)
    page = client.get("/node/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Objects received today" in page and ">42<" in page
    assert "INTRUDER" in page and "allow-list" in page


def test_a_dead_node_is_shown_as_not_listening(client, django_user_model, kerma_home):
    _write_status(kerma_home, pid=999999, updated_epoch=time.time() - 3600)
    admin = django_user_model.objects.create_user("admin", password="pw-123456",
                                                  is_staff=True)
    client.force_login(admin)
    page = client.get("/node/").content.decode()
    assert "<strong>non</strong>" in page  # French by default: "Listening: no"


def test_non_staff_users_cannot_see_the_node(client, django_user_model, kerma_home):
    user = django_user_model.objects.create_user("merm", password="pw-123456")
    client.force_login(user)
    response = client.get("/node/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
