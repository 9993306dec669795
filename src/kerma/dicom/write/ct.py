"""CT Radiation Dose SR, TID 10011 (with TID 10012 to 10014 and CP 1525's SSDE):
:func:`write_ct_rdsr` and its input, :class:`CtAcquisition`."""

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
    observer_context,
    participants_of,
    patient_characteristics,
    procedure_reported,
    round_trip,
    save_xray_report,
    scope_of_accumulation,
    xray_encoder,
)

_NON_UCUM_MGYCM = c.ucum("mGycm")  # quirk non_ucum_units
#: CT Acquisition Type code by the key :class:`CtAcquisition` takes.
_ACQUISITION_TYPES: dict[str, Code] = {kind: code for code, kind in c.CT_ACQUISITION_TYPES.items()}


@dataclass(frozen=True)
class CtAcquisition:
    """One CT irradiation event (TID 10013).

    Doses: ``ctdivol_mgy`` and ``ssde_mgy`` in mGy, ``dlp_mgycm`` in mGy.cm; ``phantom`` the
    CTDI phantom diameter in cm (16 head, 32 body); ``kvp`` in kV, ``tube_current_ma`` and
    ``max_tube_current_ma`` in mA, ``exposure_time_s`` and ``rotation_time_s`` in s, lengths,
    collimations and ``water_equivalent_diameter_mm`` in mm.
    """

    protocol: str
    target_region: str
    acquisition_type: Literal["spiral", "sequenced", "constant_angle", "stationary", "free"]
    start: datetime
    ctdivol_mgy: float | None
    dlp_mgycm: float | None
    phantom: int = 32
    kvp: float | None = 120.0
    tube_current_ma: float | None = None
    max_tube_current_ma: float | None = None
    exposure_time_s: float | None = None
    rotation_time_s: float | None = None
    pitch: float | None = None
    scan_length_mm: float | None = None
    single_collimation_mm: float | None = None
    total_collimation_mm: float | None = None
    ssde_mgy: float | None = None
    water_equivalent_diameter_mm: float | None = None
    contrast: bool | None = None
    event_uid: str | None = None


# --------------------------------------------------------------------------------------------
# CT: TID 10011
# --------------------------------------------------------------------------------------------
def write_ct_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    acquisitions: Sequence[CtAcquisition],
    *,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 997,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a CT Radiation Dose report (TID 10011) and return its path.

    CT Accumulated Dose Data hold the number of `acquisitions` and the sum of their DLP in
    mGy.cm, so a report that holds only part of an exam's events (a continued or cumulative
    report) accumulates exactly what it contains. Event UIDs are generated unless given;
    `report_datetime` defaults to one minute after the last acquisition starts.
    """
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    if not acquisitions:
        raise ValueError("a CT dose report needs at least one acquisition")
    enc = xray_encoder(quirks, c.MEAN_CTDIVOL)
    dlp_unit = _NON_UCUM_MGYCM if "non_ucum_units" in quirks else c.U_MGYCM
    first = min(a.start for a in acquisitions)
    last = max(a.start + timedelta(seconds=a.exposure_time_s or 0) for a in acquisitions)
    items = [
        procedure_reported(enc, c.CT_PROCEDURE, c.INTENTS["diagnostic"]),
        *observer_context(enc, device),
        enc.datetime("HAS OBS CONTEXT", c.START_OF_IRRADIATION, first),
        enc.datetime("HAS OBS CONTEXT", c.END_OF_IRRADIATION, last),
        scope_of_accumulation(enc, study),
        patient_characteristics(enc, patient, quirks),
    ]
    by_report, by_event = participants_of(enc, study)
    items.extend(by_report)
    dlps = [round_trip(a.dlp_mgycm) for a in acquisitions if a.dlp_mgycm is not None]
    items.append(
        enc.container(
            "CONTAINS",
            c.CT_ACCUMULATED,
            [
                enc.num("CONTAINS", c.TOTAL_EVENTS, len(acquisitions), c.U_EVENTS),
                enc.num("CONTAINS", c.CT_DLP_TOTAL, math.fsum(dlps), dlp_unit),
            ],
        )
    )
    items.extend(_ct_acquisition(enc, a, dlp_unit, by_event) for a in acquisitions)
    when = report_datetime or last + timedelta(minutes=1)
    return save_xray_report(path, doc, enc, items, template_id="10011", report_datetime=when)


def _ct_acquisition(
    enc: Encoder, acq: CtAcquisition, dlp_unit: Code, participants: list[bytes]
) -> bytes:
    """TID 10013 CT Irradiation Event Data (with the TID 1020 ``participants``)."""
    rel = "CONTAINS"
    try:
        acquisition_type = _ACQUISITION_TYPES[acq.acquisition_type]
    except KeyError:
        raise ValueError(f"unknown CT acquisition type {acq.acquisition_type!r}") from None
    items = [
        enc.text(rel, c.ACQUISITION_PROTOCOL, acq.protocol),
        enc.code(rel, c.TARGET_REGION, anatomy(acq.target_region)[0]),
        enc.code(rel, c.CT_ACQUISITION_TYPE, acquisition_type),
    ]
    if acq.contrast is not None:
        items.append(
            enc.code(
                rel, c.PROCEDURE_CONTEXT, c.WITH_CONTRAST if acq.contrast else c.WITHOUT_CONTRAST
            )
        )
    items.append(enc.uidref(rel, c.IRRADIATION_EVENT_UID, acq.event_uid or generate_uid()))
    items.append(enc.datetime(rel, c.DATETIME_STARTED, acq.start))
    items.append(enc.container(rel, c.CT_ACQUISITION_PARAMETERS, _ct_parameters(enc, acq)))
    dose = _ct_dose(enc, acq, dlp_unit)
    if dose:
        items.append(enc.container(rel, c.CT_DOSE, dose))
    items.extend(participants)
    return enc.container(rel, c.CT_ACQUISITION, items)


def _ct_parameters(enc: Encoder, acq: CtAcquisition) -> list[bytes]:
    rel = "CONTAINS"
    items: list[bytes] = []
    for concept, value, unit in (
        (c.EXPOSURE_TIME, acq.exposure_time_s, c.U_S),
        (c.SCANNING_LENGTH, acq.scan_length_mm, c.U_MM),
        (c.SINGLE_COLLIMATION, acq.single_collimation_mm, c.U_MM),
        (c.TOTAL_COLLIMATION, acq.total_collimation_mm, c.U_MM),
        (c.PITCH_FACTOR, acq.pitch if acq.acquisition_type == "spiral" else None, c.U_RATIO),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    items.append(enc.num(rel, c.NUMBER_OF_SOURCES, 1, c.U_SOURCES))
    source = [enc.text(rel, c.SOURCE_ID, "A")]
    for concept, value, unit in (
        (c.KVP, acq.kvp, c.U_KV),
        (c.MAX_TUBE_CURRENT, acq.max_tube_current_ma, c.U_MA),
        (c.TUBE_CURRENT, acq.tube_current_ma, c.U_MA),
        (c.EXPOSURE_TIME_PER_ROTATION, acq.rotation_time_s, c.U_S),
    ):
        if value is not None:
            source.append(enc.num(rel, concept, value, unit))
    items.append(enc.container(rel, c.XRAY_SOURCE_PARAMETERS, source))
    return items


def _ct_dose(enc: Encoder, acq: CtAcquisition, dlp_unit: Code) -> list[bytes]:
    """Items of the CT Dose container (TID 10013 rows 'CT Dose', with CP 1525 SSDE)."""
    rel = "CONTAINS"
    if acq.ctdivol_mgy is None and acq.dlp_mgycm is None:
        return []
    if acq.phantom not in (16, 32):
        raise ValueError(f"CTDI phantom must be 16 or 32 cm, not {acq.phantom!r}")
    items = []
    if acq.ctdivol_mgy is not None:
        items.append(enc.num(rel, c.MEAN_CTDIVOL, acq.ctdivol_mgy, c.U_MGY))
    items.append(
        enc.code(rel, c.CTDIW_PHANTOM_TYPE, c.HEAD_PHANTOM if acq.phantom == 16 else c.BODY_PHANTOM)
    )
    if acq.dlp_mgycm is not None:
        items.append(enc.num(rel, c.DLP, acq.dlp_mgycm, dlp_unit))
    wed = None
    if acq.water_equivalent_diameter_mm is not None:
        wed = enc.num(
            "INFERRED FROM" if acq.ssde_mgy is not None else rel,
            c.WATER_EQUIVALENT_DIAMETER,
            acq.water_equivalent_diameter_mm,
            c.U_MM,
            [enc.code("HAS CONCEPT MOD", c.MEASUREMENT_METHOD, c.WED_FROM_LOCALIZER)],
        )
    if acq.ssde_mgy is not None:
        children = [enc.code("HAS CONCEPT MOD", c.MEASUREMENT_METHOD, c.SSDE_FROM_WED)]
        if wed is not None:
            children.append(wed)
        items.append(enc.num(rel, c.SSDE, acq.ssde_mgy, c.U_MGY, children))
    elif wed is not None:
        items.append(wed)
    return items
