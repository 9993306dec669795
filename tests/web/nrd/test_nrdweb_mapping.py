"""Stored mapping rules (exact, contains, regex, priority, per device), unmapped names and
remapping."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from nrdweb_factories import PERIOD

from kerma.web.nrd.models import Evaluation, ProtocolMapping
from kerma.web.nrd.services import (
    add_mapping,
    protocol_mapper,
    run_evaluation,
    save_evaluation,
    unmapped_listing,
)

pytestmark = pytest.mark.django_db


def test_rules_by_kind_priority_and_device(make_device):
    room, other = make_device("rx-1"), make_device("rx-2")
    add_mapping(by="p", pattern="THORAX", act_code="RX-THORAX-PA")  # every device
    add_mapping(
        by="p", pattern="thorax profil", act_code="RX-THORAX-PROFIL", device=room, kind="exact"
    )
    add_mapping(by="p", pattern=r"^BASSIN\b", act_code="RX-BASSIN-AP", kind="regex", priority=10)
    add_mapping(by="p", pattern="BASSIN", act_code="RX-HANCHE", device=room)
    mapper = protocol_mapper(room.pk)
    assert mapper.act_for(str(room.pk), "Thorax  Profil") == "RX-THORAX-PROFIL"  # exact, folded
    assert mapper.act_for(str(room.pk), "THORAX PROFIL DEBOUT") == "RX-THORAX-PA"
    assert mapper.act_for(str(room.pk), "BASSIN FACE") == "RX-BASSIN-AP"  # priority 10 first
    assert mapper.act_for(str(room.pk), "HANCHE BASSIN") == "RX-HANCHE"
    assert mapper.act_for(str(room.pk), "GENOU") is None
    other_mapper = protocol_mapper(other.pk)
    assert other_mapper.act_for(str(other.pk), "Thorax profil") == "RX-THORAX-PA"
    assert other_mapper.act_for(str(other.pk), "HANCHE BASSIN") is None


def test_bad_rules_are_refused(make_device):
    room = make_device()
    with pytest.raises(ValidationError, match="invalid regular expression"):
        add_mapping(by="p", pattern="THORAX(", act_code="RX-THORAX-PA", device=room, kind="regex")
    with pytest.raises(ValueError, match="NOT-AN-ACT"):
        add_mapping(by="p", pattern="THORAX", act_code="NOT-AN-ACT", device=room)
    assert not ProtocolMapping.objects.exists()


def test_unmapped_names_with_counts_and_suggestions(make_device, make_exam):
    room, ct = make_device("rx-1"), make_device("ct-1", "ct")
    for k in range(3):
        make_exam(room, f"t{k}", date(2024, 1, 1 + k), procedure="THORAX FACE")
    make_exam(room, "b1", date(2024, 1, 5), procedure="BASSIN")
    make_exam(room, "q1", date(2024, 1, 6), procedure="THORAX FACE", is_test=True)
    for k in range(2):
        make_exam(ct, f"c{k}", date(2024, 1, 1 + k), procedure="TAP C+", modality="CT")
    names = unmapped_listing()
    assert [(u["device"]["id"], u["name"], u["count"]) for u in names] == [
        (room.pk, "THORAX FACE", 3),
        (ct.pk, "TAP C+", 2),
        (room.pk, "BASSIN", 1),
    ]
    assert names[0]["suggestions"][0]["act"] == "RX-THORAX-PA"
    assert names[2]["suggestions"][0]["act"] == "RX-BASSIN-AP"
    assert names[1]["suggestions"] == []  # the 2019 set in use lists no CT act
    add_mapping(by="p", pattern="THORAX", act_code="RX-THORAX-PA", device=room)
    assert [u["name"] for u in unmapped_listing(device=room)] == ["BASSIN"]
    assert unmapped_listing(device=room, period_from=date(2024, 1, 6)) == []


def test_remapping_re_evaluates_the_drafts_that_depend_on_it(rx_unit):
    unit = rx_unit([100.0 + k for k in range(30)], mapping=False)
    draft = save_evaluation(run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="p")
    assert draft.n_selected == 0 and len(draft.unmapped) > 30
    _, refreshed = add_mapping(
        by="p", pattern="THORAX", act_code="RX-THORAX-PA", device=unit["device"]
    )
    assert refreshed == 1
    draft = Evaluation.objects.get(pk=draft.pk)
    assert draft.n_selected == 30 and draft.unmapped == ["x.knee", "x.asp"]
    assert draft.mapping_rules[0]["pattern"] == "THORAX"
