"""Radiation dose structured reports → :class:`kerma.dose.DoseReport`.

Reads the X-Ray Radiation Dose report (TID 10001 projection X-ray, TID 10011 CT) whatever SR
storage class carries it, and the Radiopharmaceutical Radiation Dose report (TID 10021). Every
concept is matched by code; every value converted once from the unit its item carries. A value
with a missing or unknown unit makes the report unreadable (:class:`DoseObjectError`); an empty
or malformed value of a concept is skipped and said in ``DoseReport.warnings``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kerma.dicom import codes as c
from kerma.dicom import quirks
from kerma.dicom import wording as w
from kerma.dicom.common import (
    parse_datetime,
    report_from_header,
)
from kerma.dicom.participants import distinct, sr_participants
from kerma.dicom.private import read_siemens_radsum
from kerma.dicom.rawfile import RawDataset
from kerma.dicom.srtree import Code, ContentItem, content_of
from kerma.dose import DoseObjectError, DoseReport, Event, beam_filters, set_filters
from kerma.notices import Notice, notice
from kerma.units import Dimension, UnitError, to_canonical


def _label(item: ContentItem) -> str:
    code = item.concept or ("?", "?")
    return f"{item.meaning or 'unnamed concept'} ({code[0]}, {code[1]})"


class _Values:
    """Turns content items into canonical values, collecting what had to be skipped."""

    def __init__(self) -> None:
        self.warnings: list[Notice] = []

    def num(self, item: ContentItem | None, dimension: Dimension) -> float | None:
        """Return the item's numeric value in the canonical unit of ``dimension``, or None."""
        if item is None:
            return None
        if item.invalid is not None:
            self.warnings.append(
                notice(w.VALUE_NOT_A_NUMBER, concept=_label(item), value=item.invalid)
            )
            return None
        if item.value is None:
            self.warnings.append(notice(w.EMPTY_NUMERIC_VALUE, concept=_label(item)))
            return None
        try:
            return to_canonical(item.value, quirks.ucum(item.unit), dimension)
        except UnitError as exc:
            raise DoseObjectError(w.concept_unit_problem(_label(item), exc.notice)) from exc

    def child_num(self, parent: ContentItem, concept: Code, dimension: Dimension) -> float | None:
        """Return the value of ``parent``'s first child ``concept`` (None when absent)."""
        return self.num(parent.first(concept), dimension)


def _normalise_codes(items: Iterable[ContentItem]) -> list[ContentItem]:
    """Rewrite SNOMED CT codes of the tree into the SNOMED-RT spelling, in place; return the
    PNAME items met on the way (the persons named: one walk over a tree that may hold tens of
    thousands of items)."""
    sct = c.SCT_TO_SRT
    names = []
    for top in items:
        for item in top.iter():
            if item.concept in sct:
                item.concept = sct[item.concept]
            value_type = item.value_type
            if value_type == "CODE" and item.value in sct:
                item.value = sct[item.value]
            elif value_type == "PNAME":
                names.append(item)
    return names


def _text(item: ContentItem | None) -> str:
    if item is None or item.value is None:
        return ""
    if item.value_type == "CODE":
        return item.value_meaning or item.value[0]
    return str(item.value).strip()


def _plain(meaning: str) -> str:
    """Return a code meaning without the ^superscript^ marks of radionuclide names."""
    return meaning.replace("^", "")


def _code_value(item: ContentItem | None) -> Code | None:
    if item is None or item.value_type != "CODE":
        return None
    return item.value


def _find(items: Iterable[ContentItem], concept: Code) -> ContentItem | None:
    for item in items:
        if item.concept == concept:
            return item
    return None


def document_title(ds: RawDataset) -> Code | None:
    """Return the SR document title (root concept name) as a code, or None."""
    seq = ds.get("ConceptNameCodeSequence")
    if not seq:
        return None
    first = seq[0]
    return c.Code(str(first.get("CodeValue", "")), str(first.get("CodingSchemeDesignator", "")))


def read_dose_sr(ds: RawDataset) -> DoseReport:
    """Return the dose report held in an SR dataset whose title is a dose report.

    Raises :class:`DoseObjectError` when the title is not a dose report or a dose value's unit
    is missing or unknown.
    """
    title = document_title(ds)
    items = content_of(ds)
    names = _normalise_codes(items)
    values = _Values()
    if title == c.RADIOPHARMACEUTICAL_DOSE_REPORT:
        report = report_from_header(ds, "rrdsr", "NM")
        _read_radiopharmaceutical(items, report, values)
    elif title == c.XRAY_DOSE_REPORT:
        procedure = _code_value(_find(items, c.PROCEDURE_REPORTED))
        is_ct = procedure == c.CT_PROCEDURE or _find(items, c.CT_ACCUMULATED) is not None
        report = report_from_header(ds, "rdsr", "CT" if is_ct else "DX")
        if is_ct:
            _read_ct(items, report, values)
        else:
            _read_projection(
                items, report, values, mammography=procedure == c.MAMMOGRAPHY_PROCEDURE
            )
    elif title == quirks.SIEMENS_RADSUM_TITLE:
        report = read_siemens_radsum(ds, items)
    else:
        what = f"{title[0]}, {title[1]}" if title else "no document title"
        raise DoseObjectError(notice(w.NOT_DOSE_REPORT, title=what))
    _read_observer_context(items, report)
    _read_patient_context(items, report, values)
    report.participants = distinct([*sr_participants(names), *report.participants])
    for found in values.warnings:
        report.warn(found)
    return report


def _read_observer_context(items: list[ContentItem], report: DoseReport) -> None:
    """Fill the device identity from the device observer context (it wins over the header)."""
    device = report.device
    for item in items:
        concept = item.concept
        if concept == c.DEVICE_OBSERVER_UID and item.value:
            device.observer_uid = str(item.value)
        elif concept == c.DEVICE_OBSERVER_MANUFACTURER and item.value and not device.manufacturer:
            device.manufacturer = _text(item)
        elif concept == c.DEVICE_OBSERVER_MODEL and item.value and not device.model:
            device.model = _text(item)
        elif concept == c.DEVICE_OBSERVER_SERIAL and item.value and not device.serial_number:
            device.serial_number = _text(item)
        elif concept == c.DEVICE_OBSERVER_NAME and item.value and not device.station_name:
            device.station_name = _text(item)
        elif concept == c.DEVICE_OBSERVER_LOCATION and item.value:
            device.location = _text(item)
        elif concept == c.SCOPE_OF_ACCUMULATION and not report.study_uid:
            uid = item.first(c.STUDY_INSTANCE_UID)
            if uid is not None and uid.value:
                report.study_uid = str(uid.value)


def _read_patient_context(items: list[ContentItem], report: DoseReport, values: _Values) -> None:
    """Fill age, sex, weight and height from TID 1007 where the header leaves them unknown."""
    candidates: list[ContentItem] = []
    for item in items:
        if item.concept == c.PATIENT_CHARACTERISTICS:
            candidates.extend(item.children)
        else:
            candidates.append(item)
    patient = report.patient
    for item in candidates:
        concept = item.concept
        if concept == c.PATIENT_WEIGHT and patient.weight_kg is None:
            weight = values.num(item, Dimension.MASS)
            if weight:  # 0 means "not entered" (quirks.ZERO_WEIGHT_IS_UNKNOWN)
                patient.weight_kg = weight
        elif concept == c.PATIENT_HEIGHT and patient.height_m is None:
            height = values.num(item, Dimension.LENGTH)
            if height:
                patient.height_m = height / 1000.0
        elif concept == c.SUBJECT_AGE and patient.age_years is None and item.value is not None:
            patient.age_years = _age_in_years(item)
        elif concept == c.SUBJECT_SEX and not patient.sex:
            code = _code_value(item)
            if code:
                patient.sex = c.SEX_CODES.get(code[0], "")


_AGE_UNITS = {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25}


def _age_in_years(item: ContentItem) -> float | None:
    factor = _AGE_UNITS.get(item.unit or "")
    if factor is None or item.value is None:
        return None
    age = float(item.value) * factor
    return age if 0 <= age <= quirks.MAX_AGE_YEARS else None


# --- CT (TID 10011) ---------------------------------------------------------------------------


def _read_ct(items: list[ContentItem], report: DoseReport, values: _Values) -> None:
    stated_dlp_total: float | None = None
    for item in items:
        if item.concept == c.CT_ACCUMULATED:
            stated_dlp_total = values.child_num(item, c.CT_DLP_TOTAL, Dimension.DLP)
        elif item.concept == c.CT_ACQUISITION:
            report.events.append(_ct_event(item, values))
    totals = report.totals
    dlps = [e.dlp_mgycm for e in report.events if e.dlp_mgycm is not None]
    if stated_dlp_total is not None:
        totals["dlp_total_mgycm"] = stated_dlp_total
    elif dlps:
        totals["dlp_total_mgycm"] = sum(dlps)
    ctdis = [e.ctdivol_mgy for e in report.events if e.ctdivol_mgy is not None]
    if ctdis:
        totals["ctdivol_max_mgy"] = max(ctdis)


def _ct_event(acq: ContentItem, values: _Values) -> Event:
    event = Event(kind="ct")
    for item in acq.children:
        concept = item.concept
        if concept == c.ACQUISITION_PROTOCOL:
            event.protocol = _text(item)
        elif concept == c.TARGET_REGION:
            event.target_region = _text(item)
        elif concept == c.CT_ACQUISITION_TYPE:
            code = _code_value(item)
            event.acquisition_type = c.CT_ACQUISITION_TYPES.get(code, _text(item)) if code else ""
        elif concept == c.IRRADIATION_EVENT_UID:
            event.uid = _text(item)
        elif concept == c.CT_ACQUISITION_PARAMETERS:
            _ct_parameters(item, event, values)
        elif concept == c.CT_DOSE:
            _ct_dose(item, event, values)
    return event


def _ct_parameters(params: ContentItem, event: Event, values: _Values) -> None:
    event.exposure_time_s = values.child_num(params, c.EXPOSURE_TIME, Dimension.TIME)
    event.scan_length_mm = values.child_num(params, c.SCANNING_LENGTH, Dimension.LENGTH)
    event.collimation_mm = values.child_num(params, c.TOTAL_COLLIMATION, Dimension.LENGTH)
    event.pitch = values.child_num(params, c.PITCH_FACTOR, Dimension.RATIO)
    for source in params.children:
        if source.concept != c.XRAY_SOURCE_PARAMETERS:
            continue
        # Dual-source scanners list one source per container: the first describes the event.
        kvp = values.child_num(source, c.KVP, Dimension.VOLTAGE)
        current = values.child_num(source, c.TUBE_CURRENT, Dimension.CURRENT)
        rotation = values.child_num(source, c.EXPOSURE_TIME_PER_ROTATION, Dimension.TIME)
        if event.kvp_kv is None:
            event.kvp_kv, event.tube_current_ma, event.rotation_time_s = kvp, current, rotation
            if current is not None and rotation is not None:
                event.exposure_mas = current * rotation  # mAs per rotation


def _ct_dose(dose: ContentItem, event: Event, values: _Values) -> None:
    event.ctdivol_mgy = values.child_num(dose, c.MEAN_CTDIVOL, Dimension.DOSE)
    event.dlp_mgycm = values.child_num(dose, c.DLP, Dimension.DLP)
    phantom = _code_value(dose.first(c.CTDIW_PHANTOM_TYPE))
    if phantom is not None:
        event.phantom_cm = c.PHANTOM_DIAMETER_CM.get(phantom)
    for item in dose.iter():
        if item.concept == c.SSDE and event.ssde_mgy is None:
            event.ssde_mgy = values.num(item, Dimension.DOSE)
        elif (
            item.concept == c.WATER_EQUIVALENT_DIAMETER
            and event.water_equivalent_diameter_mm is None
        ):
            event.water_equivalent_diameter_mm = values.num(item, Dimension.LENGTH)


# --- projection X-ray (TID 10001) -------------------------------------------------------------

_ACCUMULATED_PROJECTION: dict[Code, tuple[str, Dimension]] = {
    c.DAP_TOTAL: ("dap_total_gycm2", Dimension.DAP),
    c.FLUORO_DAP_TOTAL: ("dap_fluoro_gycm2", Dimension.DAP),
    c.ACQUISITION_DAP_TOTAL: ("dap_acquisition_gycm2", Dimension.DAP),
    c.DOSE_RP_TOTAL: ("kar_total_mgy", Dimension.DOSE),
    c.TOTAL_FLUORO_TIME: ("fluoro_time_s", Dimension.TIME),
    c.TOTAL_ACQUISITION_TIME: ("acquisition_time_s", Dimension.TIME),
}


def _read_projection(
    items: list[ContentItem], report: DoseReport, values: _Values, *, mammography: bool
) -> None:
    totals = report.totals
    for item in items:
        if item.concept == c.ACCUMULATED_XRAY:
            # One container per plane: totals of a biplane system add up over its planes.
            for child in item.children:
                mapped = _ACCUMULATED_PROJECTION.get(child.concept)
                if mapped is not None:
                    value = values.num(child, mapped[1])
                    if value is not None:
                        totals[mapped[0]] = totals.get(mapped[0], 0.0) + value
                elif child.concept == c.ACCUMULATED_AGD:
                    _accumulate_agd(child, totals, values)
        elif item.concept == c.IRRADIATION_EVENT:
            report.events.append(_projection_event(item, values))
    events = report.events
    if "dap_total_gycm2" not in totals:
        daps = [e.dap_gycm2 for e in events if e.dap_gycm2 is not None]
        if daps:
            totals["dap_total_gycm2"] = sum(daps)
    if "kar_total_mgy" not in totals:
        kars = [e.kar_mgy for e in events if e.kar_mgy is not None]
        if kars:
            totals["kar_total_mgy"] = sum(kars)
    is_mammo = mammography or "agd_left_mgy" in totals or "agd_right_mgy" in totals
    if is_mammo:
        report.modality = "MG"
        if "agd_left_mgy" not in totals and "agd_right_mgy" not in totals:
            for event in events:
                key = {"L": "agd_left_mgy", "R": "agd_right_mgy"}.get(event.laterality)
                if key and event.agd_mgy is not None:
                    totals[key] = totals.get(key, 0.0) + event.agd_mgy
    elif _is_fluoroscopy(totals, events):
        report.modality = "RF"


def _is_fluoroscopy(totals: dict[str, float | str], events: list[Event]) -> bool:
    """True when the report holds fluoroscopy: the accumulated totals say so where they are
    stated (a device that labels its runs 'Fluoroscopy' but accumulates them as acquisitions is
    a radiography device), the event types otherwise."""
    if "fluoro_time_s" in totals or "dap_fluoro_gycm2" in totals:
        return (
            float(totals.get("fluoro_time_s", 0)) > 0
            or float(totals.get("dap_fluoro_gycm2", 0)) > 0
        )
    return any(e.is_fluoroscopy for e in events)


def _accumulate_agd(item: ContentItem, totals: dict[str, float | str], values: _Values) -> None:
    laterality = None
    for child in item.children:
        if child.concept == c.LATERALITY:
            laterality = c.LATERALITIES.get(_code_value(child))
    value = values.num(item, Dimension.DOSE)
    if value is None:
        return
    key = {"L": "agd_left_mgy", "R": "agd_right_mgy"}.get(laterality or "")
    if key:
        totals[key] = float(totals.get(key, 0.0)) + value


_EVENT_NUMBERS: dict[Code, tuple[str, Dimension]] = {
    c.DAP: ("dap_gycm2", Dimension.DAP),
    c.DOSE_RP: ("kar_mgy", Dimension.DOSE),
    c.AGD: ("agd_mgy", Dimension.DOSE),
    c.ENTRANCE_EXPOSURE_RP: ("entrance_dose_mgy", Dimension.DOSE),
    c.PRIMARY_ANGLE: ("primary_angle_deg", Dimension.ANGLE),
    c.SECONDARY_ANGLE: ("secondary_angle_deg", Dimension.ANGLE),
    c.PRIMARY_END_ANGLE: ("primary_angle_end_deg", Dimension.ANGLE),
    c.SECONDARY_END_ANGLE: ("secondary_angle_end_deg", Dimension.ANGLE),
    c.SOURCE_TO_ISOCENTER: ("source_isocentre_mm", Dimension.LENGTH),
    c.SOURCE_TO_DETECTOR: ("source_detector_mm", Dimension.LENGTH),
    c.TABLE_LONGITUDINAL: ("table_longitudinal_mm", Dimension.LENGTH),
    c.TABLE_LATERAL: ("table_lateral_mm", Dimension.LENGTH),
    c.TABLE_HEIGHT: ("table_height_mm", Dimension.LENGTH),
    c.COLLIMATED_FIELD_WIDTH: ("field_width_mm", Dimension.LENGTH),
    c.COLLIMATED_FIELD_HEIGHT: ("field_height_mm", Dimension.LENGTH),
    c.COLLIMATED_FIELD_AREA: ("field_area_cm2", Dimension.AREA),
    c.COMPRESSION_THICKNESS: ("compression_thickness_mm", Dimension.LENGTH),
    c.KVP: ("kvp_kv", Dimension.VOLTAGE),
    c.TUBE_CURRENT: ("tube_current_ma", Dimension.CURRENT),
    c.EXPOSURE: ("exposure_mas", Dimension.CHARGE),
    c.PULSE_WIDTH: ("pulse_width_ms", Dimension.TIME),
    c.PULSE_RATE: ("pulse_rate_per_s", Dimension.RATE),
    c.IRRADIATION_DURATION: ("irradiation_duration_s", Dimension.TIME),
}


def _projection_event(container: ContentItem, values: _Values) -> Event:
    event = Event(kind="projection")
    exposure_time_s = None
    private: dict[str, float] = {}
    for item in container.iter():
        if item.concept and item.concept[1] == quirks.PHILIPS_XPER_SCHEME and item.unit == "mm":
            value = values.num(item, Dimension.LENGTH) if item.value is not None else None
            if value is not None:
                private[item.concept[0]] = value
    for item in quirks.event_items(container):
        concept = item.concept
        mapped = _EVENT_NUMBERS.get(concept)
        if mapped is not None:
            value = values.num(item, mapped[1])
            if mapped[0] == "pulse_width_ms" and value is not None:
                value *= 1000.0  # canonical time is s; pulse width is shown in ms
            setattr(event, mapped[0], value)
        elif concept == c.IRRADIATION_EVENT_UID:
            event.uid = _text(item)
        elif concept == c.DATETIME_STARTED:
            event.started = parse_datetime(_text(item))
        elif concept == c.IRRADIATION_EVENT_TYPE:
            code = _code_value(item)
            event.event_type = c.EVENT_TYPES.get(code, _text(item)) if code else ""
        elif concept == c.ACQUISITION_PLANE:
            event.plane = c.PLANES.get(_code_value(item), _text(item))
        elif concept == c.ACQUISITION_PROTOCOL:
            event.protocol = _text(item)
        elif concept == c.TARGET_REGION:
            event.target_region = _text(item)
            for child in item.children:
                if child.concept == c.LATERALITY:
                    event.laterality = c.LATERALITIES.get(_code_value(child), "")
        elif concept == c.ANATOMICAL_STRUCTURE:
            for child in item.children:
                if child.concept == c.LATERALITY:
                    event.laterality = c.LATERALITIES.get(_code_value(child), "")
        elif concept == c.LATERALITY:
            event.laterality = c.LATERALITIES.get(_code_value(item), "")
        elif concept == c.IMAGE_VIEW:
            event.image_view = _text(item)
        elif concept == c.NUMBER_OF_PULSES:
            pulses = values.num(item, Dimension.RATIO)
            event.frames = int(pulses) if pulses is not None else None
        elif concept == c.PROJECTION_EXPOSURE_TIME:
            exposure_time_s = values.num(item, Dimension.TIME)
        elif concept == c.EXPOSURE_TIME:
            # Mammography modalities use the CT concept 113824 for the exposure time.
            exposure_time_s = values.num(item, Dimension.TIME)
        elif concept == c.XRAY_FILTERS:
            _filters(item, event, values)
    event.exposure_time_s = exposure_time_s
    if private:
        quirks.philips_geometry(event, private)
    if event.field_area_cm2 is None and event.field_width_mm and event.field_height_mm:
        event.field_area_cm2 = event.field_width_mm * event.field_height_mm / 100.0
    return event


def _filters(container: ContentItem, event: Event, values: _Values) -> None:
    """Add one X-Ray Filters container's filter to the beam's (all kept: the HVL of a beam
    filtered by copper and aluminium depends on both; the thickest is the event's filter)."""
    material = _code_value(container.first(c.FILTER_MATERIAL))
    thickness = values.child_num(container, c.FILTER_THICKNESS_MIN, Dimension.LENGTH)
    if thickness is None:
        thickness = values.child_num(container, c.FILTER_THICKNESS_MAX, Dimension.LENGTH)
    if material is None:
        return
    name = c.FILTER_MATERIALS.get(material, container.first(c.FILTER_MATERIAL).value_meaning)
    if thickness is None:
        if event.filter_thickness_mm is None:
            event.filter_material = name
        return
    set_filters(event, [*beam_filters(event), (name, thickness)])


# --- radiopharmaceutical (TID 10021) ----------------------------------------------------------


def _read_radiopharmaceutical(
    items: list[ContentItem], report: DoseReport, values: _Values
) -> None:
    for item in items:
        if item.concept == c.RADIOPHARMACEUTICAL_ADMINISTRATION:
            report.events.append(_administration(item, values))
    if not report.events:
        # Some writers put the administration items directly under the root.
        root = ContentItem()
        root.children = items
        event = _administration(root, values)
        if event.activity_mbq is not None:
            report.events.append(event)
    _sum_administrations(report)


def _administration(container: ContentItem, values: _Values) -> Event:
    event = Event(kind="nm")
    for item in container.iter():
        concept = item.concept
        if concept == c.ADMINISTERED_ACTIVITY and event.activity_mbq is None:
            event.activity_mbq = values.num(item, Dimension.ACTIVITY)
        elif concept == c.RADIONUCLIDE and not event.radionuclide:
            code = _code_value(item)
            event.radionuclide = c.RADIONUCLIDE_NAMES.get(code) or _plain(_text(item))
        elif concept == c.RADIOPHARMACEUTICAL_AGENT and not event.radiopharmaceutical:
            event.radiopharmaceutical = _plain(_text(item))
        elif concept == c.ROUTE_OF_ADMINISTRATION and not event.route:
            event.route = _text(item)
        elif concept == c.RADIOPHARMACEUTICAL_START and event.started is None:
            event.started = parse_datetime(_text(item))
        elif concept == c.ADMINISTRATION_EVENT_UID and not event.uid:
            event.uid = _text(item)
    return event


def _sum_administrations(report: DoseReport) -> None:
    activities = [e.activity_mbq for e in report.events if e.activity_mbq is not None]
    if activities:
        report.totals["activity_mbq"] = sum(activities)
    for key in ("radionuclide", "radiopharmaceutical"):
        names = sorted({getattr(e, key) for e in report.events if getattr(e, key)})
        if names:
            report.totals[key] = ", ".join(names)
