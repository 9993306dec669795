"""Vendor-private dose objects, read from the layouts declared in :mod:`kerma.dicom.quirks`.

Only what a vendor documents or what was seen in real files is read; each layout names its
concepts there, and a value's unit is converted like any standard one.
"""

from __future__ import annotations

from kerma.dicom import quirks
from kerma.dicom import wording as w
from kerma.dicom.common import parse_datetime, report_from_header
from kerma.dicom.rawfile import RawDataset
from kerma.dicom.srtree import ContentItem
from kerma.dose import DoseObjectError, DoseReport
from kerma.notices import notice
from kerma.units import Dimension, UnitError, to_canonical


def _find(items: list[ContentItem], concept: tuple[str, str]) -> ContentItem | None:
    for top in items:
        for item in top.iter():
            if item.concept == concept:
                return item
    return None


def _value(item: ContentItem | None, dimension: Dimension, report: DoseReport) -> float | None:
    """Return a NUM item's value in the canonical unit of ``dimension`` (None when absent or
    empty, said in the ``report``'s warnings)."""
    if item is None:
        return None
    if item.value is None:
        report.warn(notice(w.EMPTY_NUMERIC_VALUE, concept=str(item.meaning or item.concept)))
        return None
    try:
        return to_canonical(item.value, quirks.ucum(item.unit), dimension)
    except UnitError as exc:
        concept = item.meaning or str(item.concept)
        raise DoseObjectError(w.concept_unit_problem(concept, exc.notice)) from exc


def read_siemens_radsum(ds: RawDataset, items: list[ContentItem]) -> DoseReport:
    """Return the totals of a Siemens Radiation Summary Report (``99SMS_RADSUM``): DAP in
    Gy·cm², fluoroscopy time in s, as an RF report with no irradiation event (the summary
    lists none). Raises :class:`DoseObjectError` when it holds neither DAP nor time."""
    report = report_from_header(ds, "rdsr", "RF")
    dap = _value(_find(items, quirks.SIEMENS_RADSUM_DAP), Dimension.DAP, report)
    fluoro = _value(_find(items, quirks.SIEMENS_RADSUM_FLUORO_TIME), Dimension.TIME, report)
    if dap is None and fluoro is None:
        raise DoseObjectError(notice(w.RADSUM_WITHOUT_TOTALS))
    if dap is not None:
        report.totals["dap_total_gycm2"] = dap
    if fluoro is not None:
        report.totals["fluoro_time_s"] = fluoro
    start = _find(items, quirks.SIEMENS_RADSUM_START)
    started = parse_datetime(str(start.value or "")) if start is not None else None
    if started is not None:
        report.content_datetime = report.content_datetime or started
    exposures = _find(items, quirks.SIEMENS_RADSUM_EXPOSURES)
    if exposures is not None and exposures.value is not None:
        report.warn(notice(w.RADSUM_TOTALS_ONLY, exposures=int(exposures.value)))
    return report
