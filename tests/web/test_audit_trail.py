"""The audit trail's own app: entries carry an optional notice, worded in the reader's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kerma import notices
from kerma.notices import Notice
from kerma.web.accounts.history import visible_entries
from kerma.web.accounts.models import Unit
from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Device
from kerma.web.nrd.services import add_mapping
from users import role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

CODE = "test.audit_trail"


@pytest.fixture
def worded_code(monkeypatch: pytest.MonkeyPatch) -> str:
    """A notice code declared for this test only (the registry is left as it was)."""
    words = {"en": "{n} exams set aside", "fr": "{n} examens mis de côté"}
    monkeypatch.setitem(notices._WORDING, CODE, words)
    return CODE


def test_an_entry_keeps_its_notice_and_words_it_in_either_language(worded_code):
    entry = AuditEntry.record(("reference_set", 1), "import", actor="phys",
                              notice=Notice(worded_code, {"n": 2.5}))
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.notice == {"code": worded_code, "params": {"n": 2.5}}
    assert stored.summary == "2.5 exams set aside"  # for readers that only know the summary
    assert stored.worded("fr") == "2,5 examens mis de côté"
    assert stored.worded("en") == "2.5 exams set aside"


def test_an_entry_without_a_known_notice_reads_as_its_summary():
    plain = AuditEntry.record(("reference_set", 1), "use", actor="phys", summary="chosen")
    assert plain.notice is None and plain.worded("fr") == "chosen"
    orphan = AuditEntry.objects.create(actor="x", action="use", object_type="reference_set",
                                       object_id="1", summary="kept",
                                       notice={"code": "no.such.code", "params": {}})
    assert orphan.worded("fr") == "kept"


def test_the_history_page_words_notices_in_the_readers_language(client, worded_code):
    AuditEntry.record(("reference_set", 1), "import", actor="phys",
                      notice=Notice(worded_code, {"n": 3}))
    client.force_login(role_user("insp", "inspector"))
    french = client.get(reverse("history"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(reverse("history"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 examens mis de côté" in french
    assert "3 exams set aside" in english


def test_the_nrd_registers_the_scopes_of_its_entries_in_the_history():
    """Registered by the NRD app (kerma.web.nrd.history), not known to accounts: an inspector
    of one unit reads the mappings of its devices and the shared ones, not another unit's."""
    mappings = {}
    for code in ("north", "south"):
        unit = Unit.objects.create(code=code, name=code)
        device = Device.objects.create(identity_key=code, manufacturer="ACME", model="RX",
                                       serial_number=code, unit=unit)
        mappings[code], _ = add_mapping(by="phys", pattern=code.upper(), act_code="RX-THORAX-PA",
                                        device=device, refresh=False)
    shared, _ = add_mapping(by="phys", pattern="ALL", act_code="RX-THORAX-PA", refresh=False)
    inspector = role_user("insp", "inspector", [Unit.objects.get(code="north")])
    seen = set(visible_entries(inspector).filter(object_type="mapping")
               .values_list("object_id", flat=True))
    assert seen == {str(mappings["north"].pk), str(shared.pk)}


def test_the_history_page_words_actions_kinds_and_fields_not_their_codes(client):
    """A mapping's creation reads, in French, as its kind ("correspondance…"), the action and
    each field by its label, a linked row by its name; the codes stay in the stored entry."""
    unit = Unit.objects.create(code="north", name="Nord")
    device = Device.objects.create(identity_key="n1", manufacturer="ACME", model="RX-9",
                                   serial_number="n1", unit=unit)
    mapping, _ = add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA",
                             device=device, refresh=False)
    entry = AuditEntry.objects.get(object_type="mapping", object_id=str(mapping.pk))
    assert entry.action == "create" and "device_id" in entry.after
    client.force_login(role_user("insp", "inspector", [unit]))
    page = client.get(reverse("history"), {"type": "mapping"}, HTTP_ACCEPT_LANGUAGE="fr")
    french = page.content.decode()
    label = str(type(mapping)._meta.get_field("device").verbose_name)
    with translation.override("fr"):
        kind = str(type(mapping)._meta.verbose_name)
        field_label = str(translation.gettext(label))
    assert f"{kind} #{mapping.pk}" in french and ">créé<" in french
    assert f"{field_label}: {device}" in french
    assert "device_id:" not in french and ">create<" not in french and "mapping #" not in french
