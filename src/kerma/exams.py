"""One exam per study: merging the dose reports of a study and summing their totals.

A study may be reported several times: a cumulative report re-sends the earlier irradiation
events (same Irradiation Event UIDs) and adds new ones, a continued report holds only new events,
a corrected report replaces an earlier one. The exam holds the union of the events by Irradiation
Event UID (the newest report's version of each), and totals that count every event once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from kerma.dose import SUMMED_TOTAL_KEYS, DoseReport, Event
from kerma.notices import Notice, declare, notice

# What merging the reports of a study had to say (the exam's notes).
ADMINISTRATIONS_COUNTED_ONCE = declare(
    "exams.administrations_counted_once",
    en="{count} administration(s) carried by two objects of this study counted once",
    fr="{count} administration(s) portée(s) par deux objets de cette étude comptée(s) une fois",
)
REPORTS_OVERLAP = declare(
    "exams.reports_overlap",
    en="reports of this study overlap in part: totals recomputed from the events",
    fr="les rapports de cette étude se recouvrent en partie : totaux recalculés à partir des "
    "événements",
)

# One radiopharmaceutical administration may reach Kerma twice: in a Radiopharmaceutical
# Radiation Dose SR and in the headers of the PET/NM images of the same study. Each writer stamps
# the injection time from its own clock or from what the technologist typed at a different moment
# (seen: a few minutes apart), and may round the activity differently (MBq in the SR, Bq or a
# converted mCi value in the header). Two administrations of different reports are one when
# their radionuclide is the same, their radiopharmaceuticals do not contradict each other, their
# activities differ by at most SAME_ADMINISTRATION_ACTIVITY (relative) and their injection times
# by at most SAME_ADMINISTRATION_WINDOW. Separate injections stay separate: rest/stress
# protocols inject again an hour or more later (and usually a different activity), two-day
# protocols a day later, two tracers differ by radiopharmaceutical or radionuclide.
SAME_ADMINISTRATION_WINDOW = timedelta(minutes=15)
SAME_ADMINISTRATION_ACTIVITY = 0.02


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


def _key(report: DoseReport, index: int, event: Event) -> str:
    return event.uid or f"{report.sop_instance_uid}#{index}"


def _event_keys(report: DoseReport, alias: dict[str, str]) -> frozenset[str]:
    keys = (_key(report, i, e) for i, e in enumerate(report.events))
    return frozenset(alias.get(k, k) for k in keys)


def _name(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def same_administration(a: Event, b: Event) -> bool:
    """True when two administrations of different reports are one injection (the rule and its
    tolerances are SAME_ADMINISTRATION_WINDOW and SAME_ADMINISTRATION_ACTIVITY above)."""
    if a.kind != "nm" or b.kind != "nm" or a.activity_mbq is None or b.activity_mbq is None:
        return False
    if _name(a.radionuclide) != _name(b.radionuclide):
        return False
    agent_a, agent_b = _name(a.radiopharmaceutical), _name(b.radiopharmaceutical)
    if agent_a and agent_b and agent_a not in agent_b and agent_b not in agent_a:
        return False
    largest = max(abs(a.activity_mbq), abs(b.activity_mbq))
    if abs(a.activity_mbq - b.activity_mbq) > SAME_ADMINISTRATION_ACTIVITY * largest:
        return False
    if a.started is None or b.started is None:
        # Without both injection times nothing tells a repeat from a second injection of the
        # same activity (rest/stress): both are kept, as before this rule.
        return False
    return abs(a.started - b.started) <= SAME_ADMINISTRATION_WINDOW


def _same_administrations(reports: Sequence[DoseReport]) -> dict[str, str]:
    """Return, for each administration that repeats one of another report, its key → the key
    of the administration kept (a dose SR's before an image header's, else the older report's)."""
    ranked = sorted(range(len(reports)), key=lambda i: (reports[i].source != "rrdsr", i))
    kept: list[tuple[int, str, Event]] = []
    alias: dict[str, str] = {}
    for r in ranked:
        report = reports[r]
        own: set[str] = set()
        for i, event in enumerate(report.events):
            if event.kind != "nm":
                continue
            key = _key(report, i, event)
            # One administration of a report answers at most one of another report.
            taken = {alias[k] for k in alias if k in own}
            twin = next(
                (
                    k
                    for other, k, e in kept
                    if other != r and k not in taken and same_administration(e, event)
                ),
                None,
            )
            own.add(key)
            if twin is not None:
                alias[key] = twin
            else:
                kept.append((r, key, event))
    return alias


def combine_reports(
    reports: Sequence[DoseReport],
) -> tuple[list[Event], dict[str, float | str], list[Notice]]:
    """Return the events, totals and notes (notices) of the exam made of ``reports`` (oldest
    first).

    Events: union by Irradiation Event UID, each taken from the newest report that holds it.
    Totals: a report whose events are all in a newer or larger report is superseded (cumulative
    and corrected reports); the remaining reports are disjoint (continued reports) and their
    stated totals add up. Where reports overlap only in part, totals are recomputed from the
    union of the events and a note says so. A radiopharmaceutical administration that two
    reports carry (dose SR and image headers, see :func:`same_administration`) counts once.
    """
    notes: list[Notice] = []
    if not reports:
        return [], {}, notes
    alias = _same_administrations(reports) if len(reports) > 1 else {}
    keyed: dict[str, Event] = {}
    for report in reports:
        for i, event in enumerate(report.events):
            key = _key(report, i, event)
            if key not in alias:
                keyed[key] = event
    if alias:
        notes.append(notice(ADMINISTRATIONS_COUNTED_ONCE, count=len(alias)))
    events = sorted(keyed.values(), key=lambda e: (e.started is None, e.started or 0))
    if len(reports) == 1:
        return events, dict(reports[0].totals), notes

    key_sets = [_event_keys(r, alias) for r in reports]
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
        notes.append(notice(REPORTS_OVERLAP))
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
