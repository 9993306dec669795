"""One exam per study: merging the dose reports of a study and summing their totals.

A study may be reported several times: a cumulative report re-sends the earlier irradiation
events (same Irradiation Event UIDs) and adds new ones, a continued report holds only new events,
a corrected report replaces an earlier one. The exam holds the union of the events by Irradiation
Event UID (the newest report's version of each), and totals that count every event once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kerma.dose import SUMMED_TOTAL_KEYS, DoseReport, Event


def _sum(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def totals_from_events(events: Sequence[Event], modality: str) -> dict[str, float | str]:
    """Return the totals of a list of events (used when no report states them).

    DAP in Gy·cm², air kerma and AGD in mGy, DLP in mGy·cm, times in s, activity in MBq.
    """
    totals: dict[str, float | str] = {}

    def put(key: str, value: float | None) -> None:
        if value is not None:
            totals[key] = value

    ct = [e for e in events if e.kind == "ct"]
    if ct:
        put("dlp_total_mgycm", _sum(e.dlp_mgycm for e in ct))
        ctdis = [e.ctdivol_mgy for e in ct if e.ctdivol_mgy is not None]
        put("ctdivol_max_mgy", max(ctdis) if ctdis else None)
    projection = [e for e in events if e.kind == "projection"]
    if projection:
        put("dap_total_gycm2", _sum(e.dap_gycm2 for e in projection))
        put("kar_total_mgy", _sum(e.kar_mgy for e in projection))
        fluoro = [e for e in projection if e.is_fluoroscopy]
        acquisitions = [e for e in projection if not e.is_fluoroscopy]
        if modality in ("RF", "XA"):
            put("dap_fluoro_gycm2", _sum(e.dap_gycm2 for e in fluoro) if fluoro else 0.0)
            put("dap_acquisition_gycm2", _sum(e.dap_gycm2 for e in acquisitions))
            put("fluoro_time_s", _sum(e.irradiation_duration_s for e in fluoro))
        if modality == "MG":
            put("agd_left_mgy", _sum(e.agd_mgy for e in projection if e.laterality == "L"))
            put("agd_right_mgy", _sum(e.agd_mgy for e in projection if e.laterality == "R"))
    nm = [e for e in events if e.kind == "nm"]
    if nm:
        put("activity_mbq", _sum(e.activity_mbq for e in nm))
        for key in ("radionuclide", "radiopharmaceutical"):
            names = sorted({getattr(e, key) for e in nm if getattr(e, key)})
            if names:
                totals[key] = ", ".join(names)
    return totals


def _event_keys(report: DoseReport) -> frozenset[str]:
    return frozenset(e.uid or f"{report.sop_instance_uid}#{i}" for i, e in enumerate(report.events))


def combine_reports(
    reports: Sequence[DoseReport],
) -> tuple[list[Event], dict[str, float | str], list[str]]:
    """Return the events, totals and notes of the exam made of ``reports`` (oldest first).

    Events: union by Irradiation Event UID, each taken from the newest report that holds it.
    Totals: a report whose events are all in a newer or larger report is superseded (cumulative
    and corrected reports); the remaining reports are disjoint (continued reports) and their
    stated totals add up. Where reports overlap only in part, totals are recomputed from the
    union of the events and a note says so.
    """
    notes: list[str] = []
    if not reports:
        return [], {}, notes
    keyed: dict[str, Event] = {}
    for report in reports:
        for i, event in enumerate(report.events):
            keyed[event.uid or f"{report.sop_instance_uid}#{i}"] = event
    events = sorted(keyed.values(), key=lambda e: (e.started is None, e.started or 0))
    if len(reports) == 1:
        return events, dict(reports[0].totals), notes

    key_sets = [_event_keys(r) for r in reports]
    kept: list[int] = []
    for i, keys in enumerate(key_sets):
        superseded = any(
            j != i and keys <= other and (keys != other or j > i)
            for j, other in enumerate(key_sets)
        )
        if not superseded:
            kept.append(i)
    disjoint = all(
        not (key_sets[a] & key_sets[b]) for ai, a in enumerate(kept) for b in kept[ai + 1 :]
    )
    modality = reports[-1].modality
    if not disjoint:
        notes.append("reports of this study overlap in part: totals recomputed from the events")
        return events, totals_from_events(events, modality), notes

    totals: dict[str, float | str] = {}
    for i in kept:
        for key, value in reports[i].totals.items():
            if key in SUMMED_TOTAL_KEYS:
                totals[key] = float(totals.get(key, 0.0)) + float(value)
            elif key == "ctdivol_max_mgy":
                totals[key] = max(float(totals.get(key, 0.0)), float(value))
            elif isinstance(value, str):
                names = set(filter(None, str(totals.get(key, "")).split(", "))) | set(
                    value.split(", ")
                )
                totals[key] = ", ".join(sorted(n for n in names if n))
    return events, totals, notes
