"""Exports of the follow-up: the JSON document of an exam's skin dose and alerts, and the list of
patients to follow up (rows for CSV and XLSX).

JSON document (``format`` = ``kerma.skin-dose/1``), for other systems:

- ``kerma_version``, ``generated_at`` (ISO 8601);
- ``exam``: ``study_uid``, ``accession_number``, ``study_date``, ``modality``, ``procedure``,
  ``device`` {``manufacturer``, ``model``, ``serial_number``, ``station_name``, ``name``},
  ``patient`` {``pseudonym`` (keyed hash), ``patient_id`` and ``patient_name`` (only when the
  installation keeps identifiers, ``KERMA_CLEAR_IDENTIFIERS``), ``age_years``, ``sex``,
  ``weight_kg``, ``height_m``}, ``totals`` {``kar_total_mgy``, ``dap_total_gycm2``,
  ``fluoro_time_s``};
- ``skin_dose``: ``status`` (ok/failed/none), ``method`` (``map``: geometry of every event on a
  phantom; ``kar_estimate``: from Ka,r only), ``psd_mgy``, ``cell_size_mm``,
  ``area_above_mgy_cm2`` {``"2000"``, ``"3000"``, ``"5000"``: skin area in cm² above that dose},
  ``events_used``, ``events_skipped`` [{``uid``, ``reason``}], ``top_events``, ``warnings``,
  ``provenance`` (phantom and its size, corrections and their parameters, room settings, Kerma's
  version), ``computed_at``, and ``dose_map_mgy`` (rows of cells, mGy) when asked;
- ``alerts``: [{``id``, ``scope`` (procedure/cumulative), ``quantity`` (kar/dap/fluoro_time/psd),
  ``unit``, ``value``, ``threshold``, ``window_days``, ``study_uids`` (cumulated procedures),
  ``state``, ``decision``, ``decision_reason``, ``outcome``, ``acknowledged_by``,
  ``acknowledged_at``, ``closed_at``}];
- ``thresholds``: the unit's levels in the same units and their ``source``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kerma import __version__, config
from kerma.web.dose.models import Exam
from kerma.web.followup.models import QUANTITY_UNITS, Alert, AlertSettings, SkinDoseMap
from kerma.web.followup.skin import load_map

FORMAT = "kerma.skin-dose/1"
# NCRP 168 (via the secondary sources of followup_thresholds.md): skin check 2 to 4 weeks after.
SKIN_CHECK_FROM_DAYS, SKIN_CHECK_TO_DAYS = 14, 28


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def patient_block(exam: Exam) -> dict[str, Any]:
    """Return the patient as exports show it: pseudonym, identifiers only if kept in clear."""
    block: dict[str, Any] = {
        "pseudonym": exam.patient_key,
        "age_years": exam.age_years,
        "sex": exam.sex,
        "weight_kg": exam.weight_kg,
        "height_m": exam.height_m,
    }
    if config.keep_clear_identifiers():
        block["patient_id"] = exam.patient_id
        block["patient_name"] = exam.patient_name
    return block


def alert_dict(alert: Alert) -> dict[str, Any]:
    """Return an alert as JSON data (see the module docstring)."""
    uids = []
    if alert.exam_ids:
        found = dict(Exam.objects.filter(pk__in=alert.exam_ids).values_list("pk", "study_uid"))
        uids = [found[i] for i in alert.exam_ids if i in found]
    return {
        "id": alert.pk,
        "scope": alert.scope,
        "quantity": alert.quantity,
        "unit": QUANTITY_UNITS[alert.quantity],
        "value": alert.value,
        "threshold": alert.threshold,
        "window_days": alert.window_days,
        "study_uids": uids,
        "state": alert.state,
        "decision": alert.decision,
        "decision_reason": alert.decision_reason,
        "outcome": alert.outcome,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": _iso(alert.acknowledged_at),
        "closed_at": _iso(alert.closed_at),
    }


def skin_block(row: SkinDoseMap | None, *, with_map: bool) -> dict[str, Any]:
    """Return the skin-dose part of the JSON document."""
    if row is None:
        return {"status": "none"}
    block: dict[str, Any] = {
        "status": row.status,
        "error": row.error,
        "method": row.method,
        "psd_mgy": row.psd_mgy,
        "cell_size_mm": row.cell_size_mm,
        "area_above_mgy_cm2": {
            "2000": row.area_2gy_cm2,
            "3000": row.area_3gy_cm2,
            "5000": row.area_5gy_cm2,
        },
        "events_used": row.events_used,
        "events_skipped": row.events_skipped,
        "top_events": row.top_events,
        "warnings": row.warnings,
        "provenance": row.provenance,
        "computed_at": _iso(row.computed_at),
    }
    if with_map:
        dose_map = load_map(row)
        block["dose_map_mgy"] = (
            [[round(float(v), 3) for v in line] for line in dose_map]
            if dose_map is not None
            else None
        )
    return block


def thresholds_dict(settings: AlertSettings) -> dict[str, Any]:
    """Return a unit's thresholds (mGy, Gy·cm², s, days) and their source."""
    names = (
        "kar_mgy",
        "dap_gycm2",
        "fluoro_time_s",
        "psd_mgy",
        "cumulative_kar_mgy",
        "cumulative_dap_gycm2",
        "cumulative_fluoro_time_s",
        "cumulative_psd_mgy",
        "window_days",
        "kar_notice_mgy",
    )
    return {**{n: getattr(settings, n) for n in names}, "source": settings.source}


def exam_document(exam: Exam, *, with_map: bool = True) -> dict[str, Any]:
    """Return the JSON document of an exam's skin dose and alerts (see the module docstring)."""
    device = exam.device
    row = SkinDoseMap.objects.filter(exam=exam).first()
    alerts = Alert.objects.filter(exam=exam).order_by("scope", "quantity")
    document: dict[str, Any] = {
        "format": FORMAT,
        "kerma_version": __version__,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "exam": {
            "study_uid": exam.study_uid,
            "accession_number": exam.accession_number,
            "study_date": _iso(exam.study_date),
            "modality": exam.modality,
            "procedure": exam.procedure,
            "device": {
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial_number": device.serial_number,
                "station_name": device.station_name,
                "name": str(device),
            },
            "patient": patient_block(exam),
            "totals": {
                "kar_total_mgy": exam.kar_total_mgy,
                "dap_total_gycm2": exam.dap_total_gycm2,
                "fluoro_time_s": exam.fluoro_time_s,
            },
        },
        "skin_dose": skin_block(row, with_map=with_map),
        "alerts": [alert_dict(a) for a in alerts],
    }
    if device.unit_id is not None:
        document["thresholds"] = thresholds_dict(AlertSettings.for_unit(device.unit))
    return document


# ---- patients to follow up ----------------------------------------------------------------

PATIENT_COLUMNS = (
    "patient",
    "last_procedure",
    "device",
    "procedures",
    "alerts",
    "max_kar_mgy",
    "max_psd_mgy",
    "state",
    "decision",
    "skin_check_from",
    "skin_check_to",
    "outcome",
    "at_risk_flags",
)


def patient_rows(
    alerts: list[Alert], flags: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """Group alerts (already narrowed to what the user may see) by patient; return one row per
    patient, those with open alerts first, then by latest procedure (newest first).

    ``flags`` gives each patient key's at-risk flags (labels), as
    :func:`kerma.web.dose.patient_flags.patient_flags` returns them; a row's ``at_risk_flags``
    is the list (empty without flags).
    """
    flags = flags or {}
    by_patient: dict[str, list[Alert]] = {}
    for alert in alerts:
        key = alert.patient_key or f"exam-{alert.exam_id}"
        by_patient.setdefault(key, []).append(alert)
    rows = []
    clear = config.keep_clear_identifiers()
    for key, group in by_patient.items():
        latest = max(group, key=lambda a: (a.exam.study_date or timezone.localdate(), a.pk))
        exam = latest.exam
        states = {a.state for a in group}
        state = (
            "open"
            if "open" in states
            else "acknowledged"
            if "acknowledged" in states
            else ("closed")
        )
        decisions = sorted({a.get_decision_display() for a in group if a.decision})
        kar = [a.exam.kar_total_mgy for a in group if a.exam.kar_total_mgy is not None]
        psd = [a.value for a in group if a.quantity == "psd" and a.scope == "procedure"]
        day = exam.study_date
        name = (exam.patient_name or exam.patient_id) if clear else ""
        rows.append(
            {
                "patient": name or (key[:12] if key else "?"),
                "patient_key": key,
                "last_procedure": day,
                "last_exam_id": exam.pk,
                "device": str(exam.device),
                "procedures": len(
                    {a.exam_id for a in group} | {i for a in group for i in a.exam_ids}
                ),
                "alerts": ", ".join(
                    sorted({f"{a.get_quantity_display()} ({a.get_scope_display()})" for a in group})
                ),
                "alert_ids": [a.pk for a in group],
                "first_alert_id": min(a.pk for a in group),
                "max_kar_mgy": max(kar) if kar else None,
                "max_psd_mgy": max(psd) if psd else None,
                "state": state,
                "decision": "; ".join(str(d) for d in decisions),
                "skin_check_from": day + timedelta(days=SKIN_CHECK_FROM_DAYS) if day else None,
                "skin_check_to": day + timedelta(days=SKIN_CHECK_TO_DAYS) if day else None,
                "outcome": " / ".join(a.outcome for a in group if a.outcome),
                "at_risk_flags": flags.get(key, []),
            }
        )
    order = {"open": 0, "acknowledged": 1, "closed": 2}
    rows.sort(
        key=lambda r: (
            order[r["state"]],
            -(r["last_procedure"].toordinal() if r["last_procedure"] else 0),
        )
    )
    return rows
