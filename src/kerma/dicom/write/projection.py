"""Projection X-Ray Radiation Dose SR, TID 10001 (radiography, mammography, fluoroscopy and
interventional work, with TID 10002 to 10007): :func:`write_projection_rdsr` and its input,
:class:`ProjectionEvent`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydicom.uid import generate_uid

from kerma.dicom import codes as c
from kerma.dicom.codes import Code
from kerma.dicom.write.encoder import (
    Device,
    Document,
    Encoder,
    Patient,
    Study,
    anatomy,
    check_quirks,
    lookup,
    observer_context,
    participants_of,
    patient_characteristics,
    procedure_reported,
    round_trip,
    save_xray_report,
    scope_of_accumulation,
    xray_encoder,
)

DAP_UNITS: dict[str, float] = {
    # factor from Gy.cm2 to the unit
    "Gy.m2": 1e-4,
    "dGy.cm2": 10.0,
    "cGy.cm2": 100.0,
    "mGy.cm2": 1000.0,
    "uGy.m2": 100.0,
}


_NON_UCUM_GYM2 = c.ucum("Gym2")  # quirk non_ucum_units
_FURLONG = c.ucum("furlong")  # quirk unknown_unit
#: Codes by the keys :class:`ProjectionEvent` takes.
PLANES: dict[str, Code] = {key: code for code, key in c.PLANES.items()}
EVENT_TYPES: dict[str, Code] = {key: code for code, key in c.EVENT_TYPES.items()}
FILTER_MATERIALS: dict[str, Code] = {
    "copper": c.COPPER,
    "aluminium": c.ALUMINIUM,
    "molybdenum": c.MOLYBDENUM,
    "rhodium": c.RHODIUM,
    "silver": c.SILVER,
    "tungsten": c.TUNGSTEN,
}
ANODE_MATERIALS: dict[str, Code] = {
    k: FILTER_MATERIALS[k] for k in ("molybdenum", "rhodium", "tungsten")
}


@dataclass(frozen=True)
class ProjectionEvent:
    """One projection irradiation event (TID 10003 and its sub-templates).

    Doses: ``dap_gycm2`` in Gy.cm2 (written in Gy.m2 or the unit the caller chooses),
    ``kar_mgy`` (Dose (RP)) in mGy (written in Gy), ``agd_mgy`` and
    ``entrance_exposure_mgy`` in mGy. Angles in deg (primary: + toward the patient's left,
    LAO; secondary: + cranial), distances and table positions in mm, field width / height in
    mm at the image receptor, ``field_area_m2`` in m2, ``kvp`` in kV, ``tube_current_ma`` in
    mA, ``pulse_width_ms`` and ``exposure_time_ms`` in ms, ``pulse_rate_per_s`` in pulses per
    second, ``irradiation_duration_s`` in s, ``exposure_uas`` in uA.s, filter thickness and
    compression thickness and half value layer in mm.
    """

    event_type: Literal["fluoroscopy", "stationary", "rotational", "stepping"]
    start: datetime
    dap_gycm2: float
    kar_mgy: float | None = None
    protocol: str | None = None
    plane: Literal["single", "A", "B"] = "single"
    primary_angle_deg: float | None = None
    secondary_angle_deg: float | None = None
    source_isocenter_mm: float | None = None
    source_detector_mm: float | None = None
    table_longitudinal_mm: float | None = None
    table_lateral_mm: float | None = None
    table_height_mm: float | None = None
    field_width_mm: float | None = None
    field_height_mm: float | None = None
    field_area_m2: float | None = None
    kvp: float | None = None
    tube_current_ma: float | None = None
    pulse_width_ms: float | None = None
    pulse_rate_per_s: float | None = None
    number_of_pulses: int | None = None
    exposure_time_ms: float | None = None
    irradiation_duration_s: float | None = None
    exposure_uas: float | None = None
    filter_material: str | None = None
    filter_thickness_mm: float | None = None
    agd_mgy: float | None = None
    laterality: Literal["L", "R"] | None = None
    compression_thickness_mm: float | None = None
    entrance_exposure_mgy: float | None = None
    anode_target: str | None = None
    half_value_layer_mm: float | None = None
    image_view: str | None = None
    target_region: str | None = None
    comment: str | None = None
    event_uid: str | None = None


# --------------------------------------------------------------------------------------------
# Projection: TID 10001
# --------------------------------------------------------------------------------------------
def write_projection_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    events: Sequence[ProjectionEvent],
    *,
    kind: Literal["radiography", "fluoroscopy", "mammography"] = "fluoroscopy",
    intent: Literal["diagnostic", "therapeutic", "combined"] = "diagnostic",
    dap_unit: str = "Gy.m2",
    reference_point: str | None = None,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 997,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Projection X-Ray Radiation Dose report (TID 10001) and return its path.

    `kind` selects the accumulated dose template: TID 10007 for radiography (DAP and Dose
    (RP) totals, frames), TID 10004 for fluoroscopy and interventional work (totals split
    into fluoroscopy and acquisition, times), TID 10005 for mammography (accumulated average
    glandular dose per breast). Totals are accumulated per plane over exactly the `events`
    given, from the values as written, so they equal the sums of the events.

    DAP is written in `dap_unit` (``Gy.m2`` by default as PS3.16 prescribes; ``dGy.cm2``,
    ``cGy.cm2``, ``mGy.cm2`` or ``uGy.m2`` with the value converted; a quirk
    ``dap_unit=<code>`` has the same effect). `reference_point` is a key of
    :data:`~kerma.dicom.codes.REFERENCE_POINTS`, by default 15 cm from the isocentre for
    fluoroscopy, the detector plane for radiography and 4.2 cm above the breast support for
    mammography.
    """
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    if not events:
        raise ValueError("a projection dose report needs at least one irradiation event")
    if kind not in ("radiography", "fluoroscopy", "mammography"):
        raise ValueError(f"unknown projection report kind {kind!r}")
    for quirk in quirks:
        if quirk.startswith("dap_unit="):
            dap_unit = quirk.split("=", 1)[1]
    if dap_unit not in DAP_UNITS:
        raise ValueError(f"unknown DAP unit {dap_unit!r}; known: {sorted(DAP_UNITS)}")
    enc = xray_encoder(quirks, c.KVP)
    by_report, by_event = participants_of(enc, study)
    ctx = _ProjectionContext(
        enc=enc,
        kind=kind,
        dap_factor=DAP_UNITS[dap_unit],
        dap_unit=_dap_unit_code(dap_unit, quirks),
        reference_point=lookup(
            c.REFERENCE_POINTS, reference_point or _DEFAULT_REFERENCE_POINT[kind], "reference point"
        ),
        text_reference_point="text_reference_point" in quirks,
        exposure_time_concept=c.PROJECTION_EXPOSURE_TIME
        if "legacy_exposure_time_code" in quirks
        else c.EXPOSURE_TIME,
        empty_kvp="empty_numeric" in quirks or "empty_numeric_value" in quirks,
        participants=by_event,
    )
    procedure = c.MAMMOGRAPHY_PROCEDURE if kind == "mammography" else c.PROJECTION_PROCEDURE
    items = [
        procedure_reported(enc, procedure, lookup(c.INTENTS, intent, "intent")),
        *observer_context(enc, device),
        scope_of_accumulation(enc, study),
    ]
    if kind != "fluoroscopy":
        items.extend(
            enc.code("CONTAINS", concept, c.YES)
            for concept in (
                c.DETECTOR_DATA_AVAILABLE,
                c.SOURCE_DATA_AVAILABLE,
                c.MECHANICAL_DATA_AVAILABLE,
            )
        )
    items.append(patient_characteristics(enc, patient, quirks))
    items.extend(by_report)
    planes = [p for p in ("single", "A", "B") if any(e.plane == p for e in events)]
    for plane in planes:
        items.append(_accumulated(ctx, plane, [e for e in events if e.plane == plane]))
    items.extend(_projection_event(ctx, e) for e in events)
    last = max(e.start + timedelta(seconds=_duration_s(e)) for e in events)
    when = report_datetime or last + timedelta(minutes=1)
    return save_xray_report(path, doc, enc, items, template_id="10001", report_datetime=when)


_DEFAULT_REFERENCE_POINT = {
    "fluoroscopy": "isocenter_15cm",
    "radiography": "detector_plane",
    "mammography": "breast_4_2cm",
}


def _dap_unit_code(dap_unit: str, quirks: frozenset[str]) -> Code:
    if "unknown_unit" in quirks:
        return _FURLONG
    if dap_unit == "Gy.m2" and "non_ucum_units" in quirks:
        return _NON_UCUM_GYM2
    return c.ucum(dap_unit)


@dataclass
class _ProjectionContext:
    enc: Encoder
    kind: str
    dap_factor: float
    dap_unit: Code
    reference_point: Code
    text_reference_point: bool
    exposure_time_concept: Code
    empty_kvp: bool
    participants: list[bytes]  # TID 1020 items of each irradiation event

    def dap(self, gycm2: float) -> float:
        """DAP as written (in the report's DAP unit), already round-tripped."""
        return round_trip(gycm2 * self.dap_factor)

    def reference_point_item(self) -> bytes:
        if self.text_reference_point:
            return self.enc.text("CONTAINS", c.REFERENCE_POINT, self.reference_point.meaning)
        return self.enc.code("CONTAINS", c.REFERENCE_POINT, self.reference_point)


def _duration_s(event: ProjectionEvent) -> float:
    """Irradiation duration of an event in s (from the most direct value available)."""
    if event.irradiation_duration_s is not None:
        return event.irradiation_duration_s
    if event.exposure_time_ms is not None:
        return event.exposure_time_ms / 1000
    if event.number_of_pulses and event.pulse_rate_per_s:
        return event.number_of_pulses / event.pulse_rate_per_s
    return 0.0


def _accumulated(ctx: _ProjectionContext, plane: str, events: list[ProjectionEvent]) -> bytes:
    """TID 10002 Accumulated X-Ray Dose Data for one plane."""
    enc, rel = ctx.enc, "CONTAINS"
    items = [enc.code("HAS CONCEPT MOD", c.ACQUISITION_PLANE, PLANES[plane])]
    if ctx.kind == "mammography":
        items.extend(_accumulated_mammography(enc, events))
        return enc.container(rel, c.ACCUMULATED_XRAY, items)

    def total_dap(selected: list[ProjectionEvent]) -> float:
        return math.fsum(ctx.dap(e.dap_gycm2) for e in selected)

    def total_rp(selected: list[ProjectionEvent]) -> float | None:
        values = [round_trip(e.kar_mgy / 1000) for e in selected if e.kar_mgy is not None]
        return math.fsum(values) if values else None

    def add(concept: Code, value: float | None, unit: Code) -> None:
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))

    has_rp = any(e.kar_mgy is not None for e in events)
    add(c.DAP_TOTAL, total_dap(events), ctx.dap_unit)
    add(c.DOSE_RP_TOTAL, total_rp(events), c.U_GY)
    acquisitions = [e for e in events if e.event_type != "fluoroscopy"]
    frames = sum(e.number_of_pulses or 1 for e in acquisitions)
    if ctx.kind == "fluoroscopy":
        fluoro = [e for e in events if e.event_type == "fluoroscopy"]
        add(c.FLUORO_DAP_TOTAL, total_dap(fluoro), ctx.dap_unit)
        add(c.FLUORO_DOSE_RP_TOTAL, (total_rp(fluoro) or 0.0) if has_rp else None, c.U_GY)
        add(c.TOTAL_FLUORO_TIME, math.fsum(round_trip(_duration_s(e)) for e in fluoro), c.U_S)
        add(c.ACQUISITION_DAP_TOTAL, total_dap(acquisitions), ctx.dap_unit)
        acquisition_rp = (total_rp(acquisitions) or 0.0) if has_rp else None
        add(c.ACQUISITION_DOSE_RP_TOTAL, acquisition_rp, c.U_GY)
        acquisition_time = math.fsum(round_trip(_duration_s(e)) for e in acquisitions)
        add(c.TOTAL_ACQUISITION_TIME, acquisition_time, c.U_S)
    add(c.TOTAL_FRAMES, frames, c.U_NO_UNITS)
    items.append(ctx.reference_point_item())
    return enc.container(rel, c.ACCUMULATED_XRAY, items)


def _accumulated_mammography(enc: Encoder, events: list[ProjectionEvent]) -> list[bytes]:
    """TID 10005: Accumulated Average Glandular Dose per breast (mGy)."""
    items = []
    for side in ("L", "R"):
        values = [
            round_trip(e.agd_mgy) for e in events if e.laterality == side and e.agd_mgy is not None
        ]
        if values:
            items.append(
                enc.num(
                    "CONTAINS",
                    c.ACCUMULATED_AGD,
                    math.fsum(values),
                    c.U_MGY,
                    [enc.code("HAS CONCEPT MOD", c.LATERALITY, c.BREAST_SIDES[side][1])],
                )
            )
    return items


def _projection_event(ctx: _ProjectionContext, ev: ProjectionEvent) -> bytes:
    """TID 10003 Irradiation Event X-Ray Data (with TID 10003A/B/C content inline)."""
    enc, rel = ctx.enc, "CONTAINS"
    try:
        event_type = EVENT_TYPES[ev.event_type]
    except KeyError:
        raise ValueError(f"unknown irradiation event type {ev.event_type!r}") from None
    items = [
        enc.code("HAS CONCEPT MOD", c.ACQUISITION_PLANE, lookup(PLANES, ev.plane, "plane")),
        enc.datetime(rel, c.DATETIME_STARTED, ev.start),
        enc.code(rel, c.IRRADIATION_EVENT_TYPE, event_type),
    ]
    if ev.protocol:
        items.append(enc.text(rel, c.ACQUISITION_PROTOCOL, ev.protocol))
    items.extend(_event_anatomy(enc, ev, ctx.kind))
    items.append(enc.uidref(rel, c.IRRADIATION_EVENT_UID, ev.event_uid or generate_uid()))
    items.append(enc.num(rel, c.DAP, ctx.dap(ev.dap_gycm2), ctx.dap_unit))
    if ev.half_value_layer_mm is not None:
        items.append(enc.num(rel, c.HALF_VALUE_LAYER, ev.half_value_layer_mm, c.U_MM))
    if ev.kar_mgy is not None:
        items.append(enc.num(rel, c.DOSE_RP, ev.kar_mgy / 1000, c.U_GY))
    if ev.entrance_exposure_mgy is not None:
        items.append(enc.num(rel, c.ENTRANCE_EXPOSURE_RP, ev.entrance_exposure_mgy, c.U_MGY))
    if ev.kar_mgy is not None or ev.entrance_exposure_mgy is not None:
        items.append(ctx.reference_point_item())
    if ev.agd_mgy is not None:
        items.append(enc.num(rel, c.AGD, ev.agd_mgy, c.U_MGY))
    items.extend(_event_geometry(enc, ev))
    items.extend(_event_source(ctx, ev))
    items.extend(_event_positions(enc, ev, ctx.kind))
    if ev.comment:
        items.append(enc.text(rel, c.COMMENT, ev.comment))
    items.extend(ctx.participants)
    return enc.container(rel, c.IRRADIATION_EVENT, items)


def _event_anatomy(enc: Encoder, ev: ProjectionEvent, kind: str) -> list[bytes]:
    rel = "CONTAINS"
    items = []
    if kind == "mammography" or ev.laterality is not None:
        modifiers = []
        if ev.laterality is not None:
            modifiers.append(
                enc.code("HAS CONCEPT MOD", c.LATERALITY, c.BREAST_SIDES[ev.laterality][0])
            )
        region = anatomy(ev.target_region)[0] if ev.target_region else c.BREAST
        items.append(enc.code(rel, c.TARGET_REGION, region, modifiers))
    elif ev.target_region:
        items.append(enc.code(rel, c.TARGET_REGION, anatomy(ev.target_region)[0]))
    if ev.image_view:
        try:
            view = c.IMAGE_VIEWS[ev.image_view][0]
        except KeyError:
            raise ValueError(f"unknown image view {ev.image_view!r}") from None
        items.append(enc.code(rel, c.IMAGE_VIEW, view))
    return items


def _event_geometry(enc: Encoder, ev: ProjectionEvent) -> list[bytes]:
    rel = "CONTAINS"
    items = []
    for concept, value, unit in (
        (c.PRIMARY_ANGLE, ev.primary_angle_deg, c.U_DEG),
        (c.SECONDARY_ANGLE, ev.secondary_angle_deg, c.U_DEG),
        (c.COLLIMATED_FIELD_AREA, ev.field_area_m2, c.U_M2),
        (c.COLLIMATED_FIELD_HEIGHT, ev.field_height_mm, c.U_MM),
        (c.COLLIMATED_FIELD_WIDTH, ev.field_width_mm, c.U_MM),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.filter_material is not None:
        try:
            material = FILTER_MATERIALS[ev.filter_material]
        except KeyError:
            raise ValueError(f"unknown filter material {ev.filter_material!r}") from None
        thickness = ev.filter_thickness_mm
        filters = [
            enc.code(rel, c.FILTER_TYPE, c.FLAT_FILTER),
            enc.code(rel, c.FILTER_MATERIAL, material),
        ]
        if thickness is not None:
            filters.append(enc.num(rel, c.FILTER_THICKNESS_MIN, thickness, c.U_MM))
            filters.append(enc.num(rel, c.FILTER_THICKNESS_MAX, thickness, c.U_MM))
        items.append(enc.container(rel, c.XRAY_FILTERS, filters))
    return items


def _event_source(ctx: _ProjectionContext, ev: ProjectionEvent) -> list[bytes]:
    """TID 10003B X-ray source data: fluoro mode, pulses, kVp, mA, times, exposure."""
    enc, rel = ctx.enc, "CONTAINS"
    items = []
    if ev.event_type == "fluoroscopy":
        mode = c.PULSED if ev.pulse_rate_per_s or ev.pulse_width_ms else c.CONTINUOUS
        items.append(enc.code(rel, c.FLUORO_MODE, mode))
    for concept, value, unit in (
        (c.PULSE_RATE, ev.pulse_rate_per_s, c.U_PULSE_RATE),
        (c.NUMBER_OF_PULSES, ev.number_of_pulses, c.U_NO_UNITS),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.kvp is not None or ctx.empty_kvp:
        ctx.empty_kvp = False
        items.append(enc.num(rel, c.KVP, ev.kvp, c.U_KV))
    for concept, value, unit in (
        (c.TUBE_CURRENT, ev.tube_current_ma, c.U_MA),
        (ctx.exposure_time_concept, ev.exposure_time_ms, c.U_MS),
        (c.PULSE_WIDTH, ev.pulse_width_ms, c.U_MS),
        (c.EXPOSURE, ev.exposure_uas, c.U_UAS),
        (c.IRRADIATION_DURATION, ev.irradiation_duration_s, c.U_S),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.anode_target is not None:
        try:
            anode = ANODE_MATERIALS[ev.anode_target]
        except KeyError:
            raise ValueError(f"unknown anode target material {ev.anode_target!r}") from None
        items.append(enc.code(rel, c.ANODE_TARGET_MATERIAL, anode))
    if ev.compression_thickness_mm is not None:
        items.append(enc.num(rel, c.COMPRESSION_THICKNESS, ev.compression_thickness_mm, c.U_MM))
    return items


def _event_positions(enc: Encoder, ev: ProjectionEvent, kind: str) -> list[bytes]:
    """TID 10003A position data: distances, table positions, patient orientation."""
    rel = "CONTAINS"
    items = []
    for concept, value in (
        (c.SOURCE_TO_DETECTOR, ev.source_detector_mm),
        (c.SOURCE_TO_ISOCENTER, ev.source_isocenter_mm),
        (c.TABLE_LONGITUDINAL, ev.table_longitudinal_mm),
        (c.TABLE_LATERAL, ev.table_lateral_mm),
        (c.TABLE_HEIGHT, ev.table_height_mm),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, c.U_MM))
    if kind == "fluoroscopy":
        items.append(enc.code(rel, c.PATIENT_TABLE_RELATIONSHIP, c.HEADFIRST))
        items.append(
            enc.code(
                rel,
                c.PATIENT_ORIENTATION,
                c.RECUMBENT,
                [enc.code("HAS CONCEPT MOD", c.PATIENT_ORIENTATION_MODIFIER, c.SUPINE)],
            )
        )
    return items
