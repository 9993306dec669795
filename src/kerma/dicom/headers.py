"""Dose fields of image headers, for modalities that send no dose report.

Each attribute has the unit its definition in DICOM PS3.3 gives it, so the conversion is fixed
per tag: Image and Fluoroscopy Area Dose Product (0018,115E) in dGy·cm², Organ Dose (0040,0316)
in dGy, Entrance Dose in mGy (0040,8302), CTDIvol (0018,9345) in mGy, Radionuclide Total Dose
(0018,1074) in MBq in the NM isotope module but in Bq in the PET isotope module (C.8.9.2).
"""

from __future__ import annotations

from collections.abc import Callable

from kerma.dicom import codes, quirks
from kerma.dicom.common import (
    number,
    parse_datetime,
    report_from_header,
    text,
)
from kerma.dicom.rawfile import RawDataset
from kerma.dose import DoseObjectError, DoseReport, Event
from kerma.units import Dimension, to_canonical

_MODALITY = {
    "CT": "CT",
    "DX": "DX",
    "CR": "DX",
    "MG": "MG",
    "XA": "XA",
    "RF": "RF",
    "NM": "NM",
    "PT": "PT",
}


def read_image_header(ds: RawDataset) -> DoseReport:
    """Return the dose an image header carries as a one-file report.

    Raises :class:`DoseObjectError` when the modality is not one Kerma reads or when the header
    carries no dose value.
    """
    modality = _MODALITY.get(text(ds, "Modality").upper())
    if modality is None:
        raise DoseObjectError(
            f"modality {text(ds, 'Modality') or '(none)'!r} carries no dose Kerma reads"
        )
    report = report_from_header(ds, "image", modality)
    if modality == "CT":
        _ct_image(ds, report)
    elif modality in ("NM", "PT"):
        _nm_image(ds, report, modality)
    else:
        _projection_image(ds, report)
    if not report.events:
        raise DoseObjectError(f"{modality} image header carries no dose value")
    _totals(report)
    return report


def _event_key(ds: RawDataset, *parts: object) -> str:
    """Return the irradiation event UID of an image, or a key built from its acquisition.

    The For Processing and For Presentation images of one exposure share the key, so the
    exposure is counted once in the exam.
    """
    uid = text(ds, "IrradiationEventUID")
    if uid:
        return uid
    when = text(ds, "AcquisitionDateTime") or (
        text(ds, "AcquisitionDate") + text(ds, "AcquisitionTime")
    )
    return "img:" + "|".join(str(p) for p in (text(ds, "StudyInstanceUID"), when, *parts))


def _technique(ds: RawDataset, event: Event) -> None:
    event.kvp_kv = number(ds, "KVP")
    event.tube_current_ma = number(ds, "XRayTubeCurrent")
    exposure_uas = number(ds, "ExposureInuAs")
    event.exposure_mas = (
        exposure_uas / 1000.0 if exposure_uas is not None else number(ds, "Exposure")
    )
    exposure_time_ms = number(ds, "ExposureTime")
    event.exposure_time_s = exposure_time_ms / 1000.0 if exposure_time_ms is not None else None
    event.protocol = text(ds, "ProtocolName") or text(ds, "SeriesDescription")


def _projection_image(ds: RawDataset, report: DoseReport) -> None:
    dap = number(ds, "ImageAndFluoroscopyAreaDoseProduct")
    organ = number(ds, "OrganDose")
    entrance = number(ds, "EntranceDoseInmGy")
    if dap is None and organ is None and entrance is None:
        return
    laterality = (text(ds, "ImageLaterality") or text(ds, "Laterality")).upper()
    view = text(ds, "ViewPosition")
    event = Event(kind="projection", event_type="stationary")
    _technique(ds, event)
    event.uid = _event_key(ds, laterality, view, event.kvp_kv, event.exposure_mas)
    event.dap_gycm2 = to_canonical(dap, "dGy.cm2", Dimension.DAP) if dap is not None else None
    event.agd_mgy = to_canonical(organ, "dGy", Dimension.DOSE) if organ is not None else None
    event.entrance_dose_mgy = entrance
    event.laterality = laterality if laterality in ("L", "R", "B") else ""
    event.image_view = view
    event.source_detector_mm = number(ds, "DistanceSourceToDetector")
    event.compression_thickness_mm = number(ds, "BodyPartThickness")
    event.target_region = text(ds, "BodyPartExamined")
    event.started = parse_datetime(text(ds, "AcquisitionDateTime"))
    report.events.append(event)


def _ct_image(ds: RawDataset, report: DoseReport) -> None:
    exposures = ds.get("ExposureDoseSequence")
    if exposures:
        # Philips dose-info secondary capture: one item per exposure of the study.
        private = _private_dose_reader(ds)
        for index, item in enumerate(exposures):
            event = Event(kind="ct")
            event.uid = f"dose-screen:{text(ds, 'StudyInstanceUID')}:{index}"
            event.protocol = text(item, "SeriesDescription")
            event.acquisition_type = text(item, "AcquisitionType").lower()
            event.ctdivol_mgy = number(item, "CTDIvol")
            event.dlp_mgycm = private(item, "dlp")
            event.kvp_kv = number(item, "KVP")
            current_ua = number(item, "XRayTubeCurrentInuA")
            event.tube_current_ma = current_ua / 1000.0 if current_ua is not None else None
            event.scan_length_mm = number(item, "ScanLength")
            event.pitch = number(item, "SpiralPitchFactor")
            event.collimation_mm = number(item, "TotalCollimationWidth")
            report.events.append(event)
        report.source = "dose-screen"
        return
    ctdivol = number(ds, "CTDIvol")
    if ctdivol is None:
        return
    event = Event(kind="ct", ctdivol_mgy=ctdivol)
    _technique(ds, event)
    event.uid = _event_key(ds, text(ds, "SeriesInstanceUID"))
    event.acquisition_type = text(ds, "AcquisitionType").lower()
    event.pitch = number(ds, "SpiralPitchFactor")
    report.events.append(event)


def _private_dose_reader(ds: RawDataset) -> Callable[[RawDataset, str], float | None]:
    """Return a function reading a vendor's private dose value from an item (quirks table)."""

    def read(item: RawDataset, quantity: str) -> float | None:
        for (creator, group, offset), (name, unit) in quirks.PRIVATE_DOSE_TAGS.items():
            if name != quantity:
                continue
            for block in range(0x10, 0x100):
                if item.get_tag((group << 16) | block) != creator:
                    continue
                value = item.get_tag((group << 16) | (block << 8) | offset)
                try:
                    return to_canonical(float(str(value).split("\\")[0]), unit, Dimension.DLP)
                except (TypeError, ValueError):
                    return None
        return None

    return read


def _nm_image(ds: RawDataset, report: DoseReport, modality: str) -> None:
    info = ds.get("RadiopharmaceuticalInformationSequence")
    if not info:
        return
    unit = "Bq" if modality == "PT" else "MBq"
    for index, item in enumerate(info):
        event = Event(kind="nm")
        activity = number(item, "RadionuclideTotalDose")
        event.activity_mbq = to_canonical(activity, unit, Dimension.ACTIVITY) if activity else None
        nuclide = item.get("RadionuclideCodeSequence")
        if nuclide:
            code = codes.Code(
                str(nuclide[0].get("CodeValue", "")),
                str(nuclide[0].get("CodingSchemeDesignator", "")),
            )
            event.radionuclide = codes.RADIONUCLIDE_NAMES.get(code) or str(
                nuclide[0].get("CodeMeaning", "")
            ).replace("^", "")
        agent = item.get("RadiopharmaceuticalCodeSequence")
        event.radiopharmaceutical = text(item, "Radiopharmaceutical") or (
            str(agent[0].get("CodeMeaning", "")) if agent else ""
        )
        event.started = parse_datetime(text(item, "RadiopharmaceuticalStartDateTime")) or (
            parse_datetime(text(ds, "StudyDate") + text(item, "RadiopharmaceuticalStartTime"))
        )
        event.route = text(item, "RadiopharmaceuticalRoute")
        event.uid = f"nm:{text(ds, 'StudyInstanceUID')}:{index}:{event.started}:{activity}"
        if event.activity_mbq is not None:
            report.events.append(event)


def _totals(report: DoseReport) -> None:
    """Sum a header report's events into its totals."""
    from kerma.exams import totals_from_events

    report.totals.update(totals_from_events(report.events, report.modality))
    if not report.totals:
        raise DoseObjectError(f"{report.modality} image header carries no dose value")
