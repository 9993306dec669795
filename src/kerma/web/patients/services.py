"""From stored exams to the patients core: estimates, the patient record, unchecked
pregnancies, paediatric shares, the report's dose section (JSON keys are the CLI contract)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet

from kerma.patients import coefficients as co
from kerma.patients import risk, rounding
from kerma.patients.effective import CtEvent, Estimate, ExamDose, estimate
from kerma.patients.report import DoseSection, dose_section
from kerma.patients.ssde import FROM_AXIAL_IMAGES, ssde
from kerma.web.patients.models import (
    DapCoefficientTable,
    ImageDiameter,
    PatientFlag,
    PregnancyCheck,
)

# A CT localizer (scout), as the reader stores its acquisition type.
LOCALIZER = "constant_angle"
DEVICE_FIELDS = ("manufacturer", "model", "serial_number", "station_name", "institution")


def exam_dose(exam: Any) -> ExamDose:
    """Return the core's view of a stored exam (its CT events included)."""
    events: tuple[CtEvent, ...] = ()
    if exam.modality == "CT":
        events = tuple(
            CtEvent(e.dlp_mgycm, e.target_region, e.protocol, e.kvp_kv)
            for e in exam.events.filter(kind="ct").order_by("started", "id")
        )
    return ExamDose(
        study_uid=exam.study_uid, modality=exam.modality, study_date=exam.study_date,
        age_years=exam.age_years, sex=exam.sex, procedure=exam.procedure,
        dlp_total_mgycm=exam.dlp_total_mgycm, dap_total_gycm2=exam.dap_total_gycm2,
        activity_mbq=exam.activity_mbq, radionuclide=exam.radionuclide,
        radiopharmaceutical=exam.radiopharmaceutical, ct_events=events,
    )


def dap_coefficients_in_use() -> tuple[co.DapCoefficient, ...]:
    """Return the E/DAP coefficients estimates use: the rows of the latest table the
    installation loaded (they win on a match), then Kerma's own cited rows."""
    table = DapCoefficientTable.objects.only("pk", "filename", "csv_text").first()
    if table is None:
        return co.DAP_COEFFICIENTS
    return _loaded(table.pk, table.filename, table.csv_text) + co.DAP_COEFFICIENTS


@lru_cache(maxsize=4)
def _loaded(pk: int, filename: str, text: str) -> tuple[co.DapCoefficient, ...]:
    return co.parse_dap_coefficients(text, filename)


def load_dap_coefficients(text: str, filename: str, by: str) -> DapCoefficientTable:
    """Check a CSV of E/DAP coefficients (:func:`kerma.patients.coefficients.
    parse_dap_coefficients`: raises naming the row and column) and store it as the table in
    use, audited under ``by``."""
    rows = co.parse_dap_coefficients(text, filename)
    table = DapCoefficientTable(filename=filename, csv_text=text, rows=len(rows), loaded_by=by)
    table.save(actor=by)
    return table


def exam_estimate(
    exam: Any, dap_coefficients: tuple[co.DapCoefficient, ...] | None = None
) -> Estimate:
    """Return the estimated effective dose of a stored exam (with the coefficients in use
    unless ``dap_coefficients`` is given: callers estimating many exams look them up once)."""
    if dap_coefficients is None:
        dap_coefficients = dap_coefficients_in_use()
    return estimate(exam_dose(exam), dap_coefficients=dap_coefficients)


def pregnancy_of(exam: Any) -> tuple[str, str]:
    """Return (status, origin) of an exam's pregnancy check: ``kerma`` (recorded here, wins),
    ``dicom`` (the objects' Pregnancy Status) or ``""`` (none)."""
    check = PregnancyCheck.objects.filter(exam=exam).first()
    if check is not None:
        return check.status, "kerma"
    if exam.pregnancy_status:
        return exam.pregnancy_status, "dicom"
    return "", ""


def exam_ssde(exam: Any) -> list[dict[str, Any]]:
    """Return the SSDE of each CT event with the ``method`` that gave it: reported by the
    device, from the Dw of the dose report, from the Dw Kerma measured on the exam's axial
    images (with ``dw_images``, how many), or estimated from weight and height."""
    measured = {row.event_uid: row for row in ImageDiameter.objects.filter(exam=exam)}
    found = []
    for event in exam.events.filter(kind="ct").order_by("started", "id"):
        if event.acquisition_type == LOCALIZER and event.ssde_mgy is None:
            continue  # TG-204 sizes axial and helical scans, not a scout's CTDIvol
        row = measured.get(event.uid)
        value = ssde(event.ctdivol_mgy, phantom_cm=event.phantom_cm,
                     reported_mgy=event.ssde_mgy, dw_mm=event.water_equivalent_diameter_mm,
                     dw_images_mm=None if row is None else row.dw_mm,
                     weight_kg=exam.weight_kg, height_m=exam.height_m)
        if value is not None:
            images = row.images if row is not None and value.method == FROM_AXIAL_IMAGES else None
            found.append({"protocol": event.protocol, "event_uid": event.uid,
                          **value.as_dict(), "dw_images": images})
    return found


def flags_of(patient_key: str, user: Any | None = None) -> QuerySet:
    """Return the active flags of a patient (only those ``user`` may see, when given)."""
    from kerma.web.patients.scope import visible_flags

    rows = PatientFlag.objects.all() if user is None else visible_flags(user)
    return rows.filter(patient_key=patient_key, active=True)


def flag_labels(user: Any, keys: frozenset[str]) -> dict[str, list[str]]:
    """Return the labels of the active flags ``user`` may see, by patient key (the lookup the
    lists below this app read through :mod:`kerma.web.dose.patient_flags`)."""
    from kerma.web.patients.scope import visible_flags

    found: dict[str, list[str]] = defaultdict(list)
    rows = visible_flags(user).filter(patient_key__in=keys, active=True)
    for flag in rows.order_by("patient_key", "kind", "id"):
        label = str(flag.get_kind_display())
        if label not in found[flag.patient_key]:
            found[flag.patient_key].append(label)
    return dict(found)


def exam_entry(exam: Any, found: Estimate | None = None) -> dict[str, Any]:
    """Return one exam of a patient record (JSON-ready; units in the key names; the estimate
    rounded as shown, :mod:`kerma.patients.rounding`)."""
    found = found or exam_estimate(exam)
    status, origin = pregnancy_of(exam)
    return {
        "study_uid": exam.study_uid,
        "study_date": None if exam.study_date is None else exam.study_date.isoformat(),
        "modality": exam.modality,
        "procedure": exam.procedure,
        "device": exam.device.display_name or str(exam.device),
        "age_years": exam.age_years,
        "weight_kg": exam.weight_kg,
        "dlp_total_mgycm": exam.dlp_total_mgycm,
        "dap_total_gycm2": exam.dap_total_gycm2,
        "activity_mbq": exam.activity_mbq,
        "agd_left_mgy": exam.agd_left_mgy,
        "agd_right_mgy": exam.agd_right_mgy,
        "effective_dose_msv": rounding.msv(found.effective_dose_msv),
        "method": found.method,
        "estimate": found.as_dict(),
        "ssde": exam_ssde(exam) if exam.modality == "CT" else [],
        "pregnancy_status": status,
        "pregnancy_origin": origin,
        "paediatric": risk.is_paediatric(exam.age_years),
    }


def patient_record(
    exams: Iterable[Any], patient_key: str, today: date, *, window_years: int = 5,
    flags: Iterable[PatientFlag] = (), settings: risk.RiskSettings = risk.DEFAULTS,
) -> dict[str, Any]:
    """Return a patient's dose record: every exam with its estimate, the cumulative estimated
    effective dose over ``window_years`` (and the default windows), the recurrent alert.

    Sums are taken over the unrounded estimates; only what is returned is rounded."""
    in_use = dap_coefficients_in_use()
    estimated = [(e, exam_estimate(e, in_use)) for e in exams]
    entries = [exam_entry(e, found) for e, found in estimated]
    doses = [(e.study_date, found.effective_dose_msv) for e, found in estimated]
    alert = risk.recurrent_alert(doses, today, settings)
    windows = sorted({window_years, *risk.DEFAULT_WINDOWS_YEARS})
    return {
        "patient": {"key": patient_key},
        "today": today.isoformat(),
        "window_years": window_years,
        "cumulative_effective_dose_msv": rounding.msv(
            risk.cumulative(doses, today, window_years)),
        "cumulative_by_window_msv": {
            str(y): rounding.msv(risk.cumulative(doses, today, y)) for y in windows},
        "not_estimated": sum(1 for e in entries if e["effective_dose_msv"] is None),
        "is_estimate": True,
        "recurrent_alert": None if alert is None else alert.to_dict(),
        "recurrent_threshold": {"msv": settings.recurrent_threshold_msv,
                                "years": settings.recurrent_window_years,
                                "source": settings.recurrent_source},
        "flags": [{"kind": f.kind, "note": f.note, "entered_by": f.entered_by,
                   "entered_at": f.entered_at.isoformat()} for f in flags],
        "exams": entries,
    }


def unchecked_pregnancies(
    exams: QuerySet, *, device: str | None = None, since: date | None = None,
    until: date | None = None, settings: risk.RiskSettings = risk.DEFAULTS,
) -> list[dict[str, Any]]:
    """Return the exams of women of child-bearing age without a pregnancy check, each with its
    device and month (``YYYY-MM``), newest first."""
    rows = exams.filter(sex="F", age_years__gte=settings.child_bearing_low_years,
                        age_years__lte=settings.child_bearing_high_years)
    if device:
        rows = rows.filter(_device_q(device))
    if since:
        rows = rows.filter(study_date__gte=since)
    if until:
        rows = rows.filter(study_date__lte=until)
    checked = set(PregnancyCheck.objects.filter(exam__in=rows).exclude(status="unknown")
                  .values_list("exam_id", flat=True))
    found = []
    for exam in rows.order_by("-study_date", "-id"):
        if exam.id in checked or risk.pregnancy_checked(exam.pregnancy_status):
            continue
        found.append({
            "id": exam.id,
            "study_uid": exam.study_uid,
            "study_date": None if exam.study_date is None else exam.study_date.isoformat(),
            "month": "" if exam.study_date is None else f"{exam.study_date:%Y-%m}",
            "device": exam.device.display_name or str(exam.device),
            "device_id": exam.device_id,
            "modality": exam.modality,
            "procedure": exam.procedure,
            "age_years": exam.age_years,
            "patient": {"key": exam.patient_key},
        })
    return found


def by_device_and_month(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """Return (device, month, count) of ``rows`` (from :func:`unchecked_pregnancies`)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        counts[(row["device"], row["month"])] += 1
    return [(d, m, n) for (d, m), n in sorted(counts.items())]


def _device_q(device: str) -> Any:
    """Return the filter for a device given by id, serial, station or model."""
    from django.db.models import Q

    q = (Q(device__serial_number=device) | Q(device__station_name=device)
         | Q(device__model=device) | Q(device__display_name=device))
    return q | Q(device_id=int(device)) if device.isdigit() else q


def paediatric_summary(exams: QuerySet, settings: risk.RiskSettings = risk.DEFAULTS
                       ) -> list[dict[str, Any]]:
    """Return per device: exams, paediatric exams, share (%), whether above the threshold, and
    the paediatric exams by RP 185 age and weight group."""
    per_device: dict[int, dict[str, Any]] = {}
    for exam in exams.order_by("device_id"):
        row = per_device.setdefault(exam.device_id, {
            "device": exam.device.display_name or str(exam.device), "device_id": exam.device_id,
            "ages": [], "age_groups": defaultdict(int), "weight_groups": defaultdict(int)})
        row["ages"].append(exam.age_years)
        if risk.is_paediatric(exam.age_years, settings):
            row["age_groups"][risk.age_group(exam.age_years) or "16-<18 y"] += 1
            row["weight_groups"][risk.weight_group(exam.weight_kg) or "?"] += 1
    summary = []
    for row in per_device.values():
        children, total, share = risk.paediatric_share(row.pop("ages"), settings)
        summary.append({**row, "exams": total, "paediatric": children,
                        "share_pct": round(share, 1),
                        "above_threshold": share > settings.paediatric_share_threshold_pct,
                        "age_groups": dict(row["age_groups"]),
                        "weight_groups": dict(row["weight_groups"])})
    return summary


def section_of(exam: Any) -> DoseSection:
    """Return the report's dose section of a stored exam."""
    device = {f: getattr(exam.device, f) or "" for f in DEVICE_FIELDS}
    values = {f: getattr(exam, f) for f in (
        "study_uid", "study_date", "modality", "procedure", "dlp_total_mgycm",
        "ctdivol_max_mgy", "dap_total_gycm2", "kar_total_mgy", "fluoro_time_s", "agd_left_mgy",
        "agd_right_mgy", "activity_mbq", "radionuclide", "radiopharmaceutical")}
    events = list(exam.events.filter(kind="nm").values("route")) if exam.modality in (
        "NM", "PT") else []
    return dose_section(values, device, events)


def section_pdf(section: DoseSection, language: str = "fr") -> bytes:
    """Return the dose section as a one-page PDF (matplotlib's PDF backend: pure Python, no
    system library, unlike WeasyPrint which needs Pango)."""
    from io import BytesIO

    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))  # A4 portrait, inches
    FigureCanvasPdf(figure)
    lines = section.text(language).splitlines()
    header = [f"{section.study_date or ''}  {section.modality}  {section.procedure}".strip()]
    figure.text(0.08, 0.95, "\n".join(header + [""] + lines), va="top", ha="left",
                family="DejaVu Sans", fontsize=10, wrap=True, linespacing=1.6)
    out = BytesIO()
    figure.savefig(out, format="pdf")
    return out.getvalue()
