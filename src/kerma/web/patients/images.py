"""SSDE from the exam's own images: the water-equivalent diameter (AAPM Report 220) of CT
events whose dose report carries neither SSDE nor Dw, measured on a few axial images retrieved
from the PACS (:mod:`kerma.dicom.axial`) and stored as :class:`ImageDiameter`.

The images are read in memory and dropped; only the mean Dw, how many images gave it, the
series and the PACS are kept. A PACS that cannot be reached changes nothing: the run says so,
naming the peer. The SSDE then prefers this Dw to the weight and height estimate
(:func:`kerma.patients.ssde.ssde`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from kerma.dicom.axial import AxialSummary, SeriesMeasures, measure_axial_images
from kerma.dicom.retrieve import Peer
from kerma.patients import rounding
from kerma.patients.water_equivalent import dw_mm_from_bytes
from kerma.web.patients.models import ImageDiameter
from kerma.web.patients.services import LOCALIZER  # a scout's CTDIvol has no SSDE

METHOD_TEXT = "Dw from axial images (AAPM 220)"


def events_lacking_dw(exams: Any, *, again: bool = False) -> dict[Any, list[Any]]:
    """Return, per exam of the queryset ``exams``, its CT events whose report carries neither
    SSDE nor Dw (localizers left out), and not yet measured on the images unless ``again``
    (one query for the events, one for what was measured: the range may hold years of CT)."""
    from kerma.web.dose.models import Event

    rows = (Event.objects.filter(exam__in=exams, kind="ct", ssde_mgy__isnull=True,
                                 water_equivalent_diameter_mm__isnull=True,
                                 ctdivol_mgy__isnull=False)
            .exclude(acquisition_type=LOCALIZER).select_related("exam")
            .order_by("exam__study_date", "exam_id", "started", "id"))
    done = set() if again else set(
        ImageDiameter.objects.filter(exam__in=exams).values_list("exam_id", "event_uid"))
    found: dict[Any, list[Any]] = {}
    for event in rows:
        if (event.exam_id, event.uid) not in done:
            found.setdefault(event.exam, []).append(event)
    return found


def ct_exams(since: date | None = None, until: date | None = None) -> Any:
    """Return the stored CT exams (test exams left out) dated ``since`` to ``until``."""
    from kerma.web.dose.models import Exam

    rows = Exam.objects.filter(is_test=False, events__kind="ct").distinct()
    if since:
        rows = rows.filter(study_date__gte=since)
    if until:
        rows = rows.filter(study_date__lte=until)
    return rows.select_related("device").order_by("study_date", "id")


def _store(exam: Any, event_uid: str, measures: SeriesMeasures, peer: Peer) -> ImageDiameter:
    row, _ = ImageDiameter.objects.update_or_create(
        exam=exam, event_uid=event_uid,
        defaults={"dw_mm": measures.mean, "images": len(measures.values),
                  "series_uid": measures.series_uid, "series_match": measures.match,
                  "peer": str(peer)})
    return row


def ssde_from_images(
    peer: Peer, exams: Any, *, per_series: int = 3, again: bool = False,
    calling_aet: str = "KERMA", timeout: float = 30,
) -> dict[str, Any]:
    """Measure Dw on the axial images of ``exams`` (a queryset) whose CT events lack it, store
    it, and return what was done (JSON-ready: the events measured with their Dw, images and
    SSDE; the studies of which the PACS holds no axial image; the failures, each naming the
    study or the peer; ``reached``, false when the PACS could not be reached)."""
    from kerma.web.patients.services import exam_ssde

    wanting = events_lacking_dw(exams, again=again)
    by_study = {exam.study_uid: exam for exam in wanting}
    summary: AxialSummary = measure_axial_images(
        peer, {exam.study_uid: [e.uid for e in events] for exam, events in wanting.items()},
        dw_mm_from_bytes, per_series=per_series, calling_aet=calling_aet, timeout=timeout)
    measured = []
    failures = list(summary.failures)
    without_images = []
    for study in summary.studies:
        exam = by_study[study.study_uid]
        failures += study.failures
        if not study.has_axial_images:
            without_images.append(study.study_uid)
        with transaction.atomic():
            stored = {uid: _store(exam, uid, m, peer)
                      for uid, m in study.by_event.items() if m.mean is not None}
        if not stored:
            continue
        ssde_by_event = {s["event_uid"]: s for s in exam_ssde(exam)}
        for uid, row in stored.items():
            measured.append({
                "study_uid": exam.study_uid, "patient": {"key": exam.patient_key},
                "event_uid": uid, "dw_cm": rounding.fixed(row.dw_mm / 10.0,
                                                          rounding.CM_DECIMALS),
                "images": row.images, "series_uid": row.series_uid,
                "series_match": row.series_match, "method": METHOD_TEXT,
                "ssde": ssde_by_event.get(uid)})
    return {"peer": str(peer), "reached": summary.reached, "studies_asked": len(wanting),
            "events_measured": len(measured), "measured": measured,
            "studies_without_axial_images": without_images, "failures": failures}
