"""Plain helpers of the NRD shell tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from kerma.web.dose.models import Device, Exam

PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}


def projection(uid: str, dap_mgycm2: float | None, **fields: Any) -> dict[str, Any]:
    """An event row of a radiographic projection; DAP given in mGy·cm², stored in Gy·cm²."""
    values: dict[str, Any] = {
        "uid": uid,
        "kind": "projection",
        "event_type": "stationary",
        "protocol": "Thorax PA",
        "dap_gycm2": None if dap_mgycm2 is None else dap_mgycm2 / 1000,
        "kvp_kv": 125.0,
        "exposure_mas": 2.5,
        "source_detector_mm": 1800.0,
    }
    values.update(fields)
    return values


def build_rx_unit(
    make_device: Callable[..., Device],
    make_exam: Callable[..., Exam],
    values: list[float],
    *,
    mapping: bool = True,
) -> dict[str, Any]:
    """A radiography room whose January 2024 holds, for RX-THORAX-PA:

    first, on 2 January, one exam of each kind that is not in the sample — BMI 39 (excluded),
    no height (excluded), a 16-year-old (excluded), a test exam (left out by the query), a knee
    (unmapped), a fluoroscopy-only exam (excluded: no acquisition), an abdomen (another act) —
    then 35 eligible exams ``e00``…``e34``, four a day from 3 January, inserted in reverse order;
    ``e04`` has no study time (first of its day), ``e10`` has a profile view besides the PA one.
    ``values`` are the DAPs (mGy·cm²) of ``e00``…``e29``; later exams have 5000 mGy·cm².
    An exam the day before the period and one on another device complete the picture.
    """
    from kerma.web.nrd.services import add_mapping

    room = make_device("rx-1", "radiography", display_name="Salle 1")
    other = make_device("rx-2", "radiography", display_name="Salle 2")
    if mapping:
        add_mapping(by="physicist", pattern="THORAX", act_code="RX-THORAX-PA", device=room)
        add_mapping(by="physicist", pattern=r"^ASP\b", act_code="RX-ASP", device=room, kind="regex")
    jan2 = date(2024, 1, 2)
    make_exam(room, "x.early", date(2023, 12, 31), events=[projection("ev.early", 10.0)])
    make_exam(other, "x.otherdev", jan2, "075000", events=[projection("ev.od", 10.0)])
    make_exam(
        room,
        "x.bmi39",
        jan2,
        "080000",
        weight_kg=120.0,
        height_m=1.75,
        events=[projection("ev.bmi", 10.0)],
    )
    make_exam(room, "x.noheight", jan2, "081000", height_m=None, events=[projection("ev.nh", 10.0)])
    make_exam(
        room,
        "x.child",
        jan2,
        "082000",
        age_years=16.0,
        weight_kg=45.0,
        events=[projection("ev.ch", 10.0)],
    )
    make_exam(room, "x.test", jan2, "083000", is_test=True, events=[projection("ev.t", 10.0)])
    make_exam(
        room,
        "x.knee",
        jan2,
        "084000",
        procedure="GENOU FACE",
        events=[projection("ev.k", 10.0, protocol="Genou")],
    )
    make_exam(
        room,
        "x.fluoro",
        jan2,
        "085000",
        events=[projection("ev.f", 10.0, event_type="fluoroscopy")],
    )
    make_exam(room, "x.asp", jan2, "090000", procedure="ASP", events=[projection("ev.a", 10.0)])
    eligible = []
    for k in range(34, -1, -1):  # reverse insertion: the database order is not the study order
        day = date(2024, 1, 3) + timedelta(days=k // 4)
        time = "" if k == 4 else f"{10 + k % 4:02d}0000"
        dap = values[k] if k < len(values) else 5000.0
        events = [projection(f"ev.{k:02d}", dap)]
        if k == 10:
            events.append(projection("ev.10.lat", 999.0, protocol="Thorax profil"))
        make_exam(room, f"e{k:02d}", day, time, events=events, weight_kg=60.0 + k % 7)
        eligible.append(f"e{k:02d}")
    return {
        "device": room,
        "other": other,
        "selected": [f"e{k:02d}" for k in range(30)],
        "excluded": [
            ("x.bmi39", "bmi_above"),
            ("x.noheight", "missing_height"),
            ("x.child", "not_adult"),
            ("x.fluoro", "no_acquisition"),
        ],
        "unmapped": ["x.knee"],
    }
