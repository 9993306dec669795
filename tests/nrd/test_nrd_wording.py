"""The NRD notices: every code has English and French words with the same parameters."""

from __future__ import annotations

import string
from datetime import date

import kerma.nrd  # noqa: F401  (declares the codes)
from kerma.notices import declared_codes, wording
from kerma.nrd import Device, DeviceActivity, plan_year
from kerma.reference.vocabulary import Family, Population


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_nrd_code_has_french_words_with_the_same_parameters():
    codes = sorted(c for c in declared_codes() if c.startswith("nrd."))
    assert len(codes) > 60
    for code in codes:
        en, fr = wording(code, "en"), wording(code, "fr")
        assert _fields(en) == _fields(fr), code


def test_a_plan_note_and_flag_read_in_both_languages():
    ct = Device("1", Family.CT, "CT 1", unit="Imagerie", in_perimeter=True)
    out = Device("2", Family.RADIOGRAPHY, "RX 2", unit="Imagerie", in_perimeter=False)
    activity = {
        "1": DeviceActivity("1", 2024, 100, 0, {("CT-TAP", Population.ADULT): 100}),
        "2": DeviceActivity("2", 2024, 50, 0, {("RX-THORAX-PA", Population.ADULT): 50}),
    }
    plan = plan_year(2024, [ct, out], activity, [], as_of=date(2025, 3, 1))
    outside = next(i for i in plan.items if i.device is out)
    assert outside.note == "outside the perimeter defined by the RAN"
    assert outside.notice.text("fr") == "hors du périmètre défini par le RAN"
    late = next(f for f in plan.flags if f.code == "late")
    assert late.message == "device CT 1: 1 of 1 adult act(s) not evaluated in 2024"
    assert late.notice.text("fr") == "appareil CT 1 : 1 acte(s) adulte sur 1 non évalué(s) en 2024"
    assert late.to_dict()["notice"]["code"] == "nrd.flag.late"
