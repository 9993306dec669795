"""The demo survey: the demo unit's C-arm contribution and two other facilities generated
around it (same acts, other practices), so that ``kerma survey demo`` runs a survey of three
facilities."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from typing import Any

from kerma.survey.stats import percentile

# Two generated facilities: code, factor on the demo unit's doses, manufacturer, model, year.
OTHERS = (
    ("CHU-B", 1.6, "GE", "OEC Elite", 2019),
    ("CLINIQUE-C", 0.7, "Ziehm", "Vision RFD", 2021),
)


def other_facilities(rows: list[dict[str, Any]], seed: int = 2026) -> list[dict[str, Any]]:
    """Return the procedures of the two :data:`OTHERS` facilities: per act of ``rows`` (the
    demo unit's contribution, template columns) as many procedures, their DAP and times
    log-normal around the demo unit's medians times the facility's factor."""
    rng = random.Random(seed)
    by_act: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("act") and row.get("dap_gycm2"):
            by_act[row["act"]].append(row)
    result: list[dict[str, Any]] = []
    for code, factor, manufacturer, model, year in OTHERS:
        for act, procedures in sorted(by_act.items()):
            dap = percentile([p["dap_gycm2"] for p in procedures], 0.5) or 1.0
            times = [p["fluoro_time_min"] for p in procedures if p.get("fluoro_time_min")]
            time = percentile(times, 0.5) or 1.0
            for procedure in procedures:
                spread = math.exp(rng.gauss(0, 0.5))
                result.append(
                    {
                        **dict.fromkeys(procedure),
                        "facility": code,
                        "specialty": procedure["specialty"],
                        "act": act,
                        "dap_gycm2": round(dap * factor * spread, 4),
                        "fluoro_time_min": round(time * factor * math.exp(rng.gauss(0, 0.4)), 2),
                        "kar_mgy": round(dap * factor * spread * 8, 2),
                        "images": rng.randint(0, 20),
                        "weight_kg": round(rng.uniform(50, 100), 1) if rng.random() < 0.5 else None,
                        "height_cm": None,
                        "device_manufacturer": manufacturer,
                        "device_model": model,
                        "device_year": year,
                        "month": procedure["month"],
                    }
                )
    return result
