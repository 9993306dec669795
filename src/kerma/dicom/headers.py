"""Dose fields of image headers, for modalities that send no dose report.

Each attribute has the unit its definition in DICOM PS3.3 gives it, so the conversion is fixed
per tag: Image and Fluoroscopy Area Dose Product (0018,115E) in dGy·cm², Organ Dose (0040,0316)
in dGy, Entrance Dose in mGy (0040,8302), CTDIvol (0018,9345) in mGy, Radionuclide Total Dose
(0018,1074) in MBq in the NM isotope module but in Bq in the PET isotope module (C.8.9.2).
"""

from __future__ import annotations

from collections.abc import Callable

from kerma.dicom import codes, quirks
from kerma.dicom import wording as w
from kerma.dicom.common import (
    number,
    parse_datetime,
    report_from_header,
    text,
)
from kerma.dicom.rawfile import RawDataset
from kerma.dose import DoseObjectError, DoseReport, Event, set_filters
from kerma.notices import notice
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
    written = text(ds, "Modality").upper()
    modality = _MODALITY.get(written) or quirks.DENTAL_MODALITIES.get(written)
    if modality is None:
        modality_text = text(ds, "Modality") or "(none)"
        raise DoseObjectError(notice(w.MODALITY_WITHOUT_DOSE, modality=modality_text))
    report = report_from_header(ds, "image", modality)
    if modality == "CT":
        _ct_image(ds, report)
        if not report.events:
            _projection_image(ds, report)  # dental cone-beam CT: DAP only (quirks)
    elif modality in ("NM", "PT"):
        _nm_image(ds, report, modality)
    else:
        _projection_image(ds, report)
    if not report.events:
        raise DoseObjectError(notice(w.HEADER_WITHOUT_DOSE, modality=modality))
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
    _filters(ds, event)
    event.started = parse_datetime(text(ds, "AcquisitionDateTime"))
    report.events.append(event)


def _filters(ds: RawDataset, event: Event) -> None:
    """Fill the beam's filters from Filter Material / Filter Thickness Minimum (0018,7050 and
    0018,7052, one value per filter), else from a Filter Type text such as ``CU_0.2_MM``
    (quirks.FILTER_TYPE_TEXT). The thickest is the event's filter; all are kept in filters."""
    materials = [m.strip() for m in text(ds, "FilterMaterial").split("\\") if m.strip()]
    thicknesses = [
        t.strip() for t in text(ds, "FilterThicknessMinimum").split("\\") if t.strip()
    ]
    found: list[tuple[str, float]] = []
    for material, thickness in zip(materials, thicknesses, strict=False):
        try:
            found.append((_FILTER_SYMBOLS.get(material.upper(), material.capitalize()),
                          float(thickness)))
        except ValueError:
            continue
    if not found:
        found = quirks.filters_from_type_text(text(ds, "FilterType"))
    set_filters(event, found)


_FILTER_SYMBOLS = {
    "ALUMINUM": "Al", "ALUMINIUM": "Al", "COPPER": "Cu", "MOLYBDENUM": "Mo", "RHODIUM": "Rh",
    "SILVER": "Ag", "TUNGSTEN": "W", "TIN": "Sn", "NIOBIUM": "Nb", "LEAD": "Pb",
}


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
        raise DoseObjectError(notice(w.HEADER_WITHOUT_DOSE, modality=report.modality))
