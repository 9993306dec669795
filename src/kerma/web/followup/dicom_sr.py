"""An exam's skin dose as a DICOM Patient Radiation Dose SR (TID 10030): the shell's half.

This module gathers from the database what the document states (the exam, its skin-dose map,
the source dose reports with their series read from the archive, the event UIDs used) into a
:class:`~kerma.dicom.write.skin_dose_sr.SkinDoseEstimate`; :mod:`kerma.dicom.write.skin_dose_sr`
encodes it. Patient identification is the pseudonym unless the installation keeps identifiers
in clear (``KERMA_CLEAR_IDENTIFIERS``).
"""

from __future__ import annotations

import io

import pydicom

from kerma import config
from kerma.dicom.write import skin_dose_sr
from kerma.dicom.write.skin_dose_sr import SkinDoseEstimate, SourceReport
from kerma.web.dose.models import Exam, Report
from kerma.web.followup.models import SkinDoseMap


def _source_reports(exam: Exam) -> list[tuple[Report, str]]:
    """Return the exam's dose reports with their Series Instance UID (read from the archive;
    empty when the archived file cannot be read)."""
    from kerma.archive import read_archived

    found = []
    for report in exam.reports.order_by("received_at", "id"):
        series = ""
        try:
            ds = pydicom.dcmread(
                io.BytesIO(read_archived(report.archive_path)),
                stop_before_pixels=True,
                specific_tags=["SeriesInstanceUID"],
            )
            series = str(ds.get("SeriesInstanceUID", ""))
        except Exception:  # noqa: BLE001 - the reference is kept without its series
            series = ""
        found.append((report, series))
    return found


def _used_event_uids(exam: Exam, row: SkinDoseMap) -> list[str]:
    """Return the UIDs of the events used, when some were skipped (TID 10033 row 4: required
    iff some events were not used); empty otherwise."""
    skipped = {str(s.get("uid", "")) for s in (row.events_skipped or []) if isinstance(s, dict)}
    if not skipped:
        return []
    uids = exam.events.filter(kind="projection").values_list("uid", flat=True)
    # Events without a UID got a made-up key at import ("event#3"): not a DICOM UID.
    return [u for u in uids if u not in skipped and "#" not in u][:10000]


def estimate_of(exam: Exam, row: SkinDoseMap) -> SkinDoseEstimate:
    """Return what the SR of ``exam``'s skin-dose map ``row`` states, gathered from the database
    and the archive."""
    if config.keep_clear_identifiers() and exam.patient_id:
        patient_id, patient_name = exam.patient_id, exam.patient_name
    else:
        patient_id, patient_name = exam.patient_key or "ANONYMOUS", ""
    return SkinDoseEstimate(
        study_uid=exam.study_uid,
        study_date=exam.study_date,
        study_time=exam.study_time or "",
        accession_number=exam.accession_number,
        institution=exam.device.institution or "",
        patient_id=patient_id,
        patient_name=patient_name,
        sex=exam.sex,
        age_years=exam.age_years,
        weight_kg=exam.weight_kg,
        height_m=exam.height_m,
        computed_at=row.computed_at,
        method=row.method,
        psd_mgy=row.psd_mgy,
        area_2gy_cm2=row.area_2gy_cm2,
        area_3gy_cm2=row.area_3gy_cm2,
        area_5gy_cm2=row.area_5gy_cm2,
        events_used=row.events_used,
        events_skipped=len(row.events_skipped or []),
        warnings=tuple(str(w) for w in (row.warnings or [])),
        provenance=dict(row.provenance or {}),
        kerma_version=row.kerma_version or "",
        sources=tuple(
            SourceReport(report.sop_class_uid, report.sop_instance_uid, series)
            for report, series in _source_reports(exam)
        ),
        used_event_uids=tuple(_used_event_uids(exam, row)),
    )


def sr_bytes(exam: Exam, row: SkinDoseMap) -> bytes:
    """Return the Part-10 file bytes of the Patient Radiation Dose SR of ``exam``'s skin dose."""
    return skin_dose_sr.sr_bytes(estimate_of(exam, row))
