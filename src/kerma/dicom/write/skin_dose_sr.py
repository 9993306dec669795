"""An exam's skin dose as a DICOM Patient Radiation Dose SR (SOP Class
1.2.840.10008.5.1.4.1.1.88.73, root template TID 10030 "Patient Radiation Dose").

Content tree (codes from PS3.16, as pydicom's code dictionary holds them):

    CONTAINER (128401, DCM, "Patient Radiation Dose Report")           TID 10030
      HAS CONCEPT MOD  CODE (121049 "Language of Content Item and Descendants")
      HAS OBS CONTEXT  device observer (TID 1002/1004): Kerma, its version
      CONTAINS CONTAINER (128402 "Radiation Dose Estimate")             TID 10031
        CONTAINS TEXT (128403 "Radiation Dose Estimate Name")
        CONTAINS CONTAINER (128412 "Radiation Dose Estimate Representation")
          CONTAINS CODE (128413 "Distribution Representation") = (128485 "Skin Dose Map")
          CONTAINS NUM (128531 "Maximum Absorbed Radiation Dose") mGy  — the peak skin dose
        CONTAINS CONTAINER (128415 "Radiation Dose Estimate Methodology")  TID 10033
          CONTAINS COMPOSITE (128416 "SR Instance Used") per source dose report
            HAS PROPERTIES UIDREF (128429 "Event UID Used") per event used, when some were not
          CONTAINS CONTAINER (128500 "Patient Radiation Dose Model")
            CONTAINS CODE (128417 "Patient Model Type")
            CONTAINS CODE (128420 "Radiation Transport Model Type")
              = (128421 "Geometric Radiation Transport Model")
            CONTAINS TEXT (128426 "Patient Radiation Dose Model Reference"): phantom and size
            CONTAINS TEXT (121106 "Comment"): corrections and their parameters
            CONTAINS CONTAINER (128427 "Patient Model Demographics")
      CONTAINS TEXT (121106 "Comment"): method, skin areas above 2/3/5 Gy, events skipped

The caller (the web shell gathers them from the database) hands a :class:`SkinDoseEstimate`:
the patient identification it chose (the pseudonym unless the installation keeps identifiers in
clear), the exam's study, the map's results and provenance, the source dose reports and the
event UIDs used. The document belongs to the exam's study.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

from kerma import __version__
from kerma.dicom import codes as c
from kerma.dicom.codes import Code
from kerma.dicom.write.encoder import code_dataset

PATIENT_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.73"
_UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as generate_uid() uses


@dataclass(frozen=True)
class SourceReport:
    """A dose report the skin dose was computed from; ``series_instance_uid`` is empty when
    its archived file could not be read."""

    sop_class_uid: str
    sop_instance_uid: str
    series_instance_uid: str = ""


@dataclass(frozen=True)
class SkinDoseEstimate:
    """What the Patient Radiation Dose SR of one exam's skin dose states.

    ``patient_id`` and ``patient_name`` as they are to be written (the pseudonym and no name
    unless identifiers are kept in clear); ``age_years`` in years, ``weight_kg`` in kg,
    ``height_m`` in m; ``study_time`` as DICOM TM text; ``psd_mgy`` the peak skin dose in mGy,
    ``area_*gy_cm2`` the skin areas above 2, 3 and 5 Gy in cm2; ``provenance`` the map's
    provenance (phantom, corrections, room settings); ``used_event_uids`` the UIDs of the
    events used, given only when some were skipped (TID 10033).
    """

    study_uid: str
    study_date: date | None
    study_time: str
    accession_number: str
    institution: str
    patient_id: str
    patient_name: str
    sex: str
    age_years: float | None
    weight_kg: float | None
    height_m: float | None
    computed_at: datetime
    method: str
    psd_mgy: float | None
    area_2gy_cm2: float | None = None
    area_3gy_cm2: float | None = None
    area_5gy_cm2: float | None = None
    events_used: int | None = None
    events_skipped: int = 0
    warnings: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    kerma_version: str = ""
    sources: tuple[SourceReport, ...] = ()
    used_event_uids: tuple[str, ...] = ()


def _item(relationship: str | None, value_type: str, concept: Code) -> Dataset:
    item = Dataset()
    if relationship:
        item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([code_dataset(concept)])
    return item


def _container(relationship: str | None, concept: Code, children: list) -> Dataset:
    item = _item(relationship, "CONTAINER", concept)
    item.ContinuityOfContent = "SEPARATE"
    if children:
        item.ContentSequence = Sequence(children)
    return item


def _text(relationship: str, concept: Code, text: str) -> Dataset:
    item = _item(relationship, "TEXT", concept)
    item.TextValue = text
    return item


def _code_item(relationship: str, concept: Code, value: Code) -> Dataset:
    item = _item(relationship, "CODE", concept)
    item.ConceptCodeSequence = Sequence([code_dataset(value)])
    return item


def _num(relationship: str, concept: Code, value: float, unit: Code) -> Dataset:
    item = _item(relationship, "NUM", concept)
    measured = Dataset()
    measured.NumericValue = f"{value:.6g}"[:16]
    measured.MeasurementUnitsCodeSequence = Sequence([code_dataset(unit)])
    item.MeasuredValueSequence = Sequence([measured])
    return item


def _uidref(relationship: str, concept: Code, uid: str) -> Dataset:
    item = _item(relationship, "UIDREF", concept)
    item.UID = uid
    return item


def _phantom_type(estimate: SkinDoseEstimate) -> str:
    phantom = (estimate.provenance or {}).get("phantom", "")
    return str(phantom.get("type", "")) if isinstance(phantom, dict) else str(phantom)


def _phantom_reference(estimate: SkinDoseEstimate) -> str:
    """Return the phantom's name and size as the provenance states them."""
    phantom = (estimate.provenance or {}).get("phantom", "")
    if isinstance(phantom, dict):
        size = {k: v for k, v in phantom.items() if k != "type"}
        text = f"Kerma stylised phantom '{phantom.get('type', '?')}'"
        if size:
            text += f", size {json.dumps(size, ensure_ascii=False, sort_keys=True)}"
    else:
        text = f"Kerma stylised phantom '{phantom or '?'}'"
    return text[:1024]


def _corrections(estimate: SkinDoseEstimate) -> str:
    provenance = dict(estimate.provenance or {})
    keep = {k: v for k, v in provenance.items() if k not in ("room",)}
    text = "Corrections and parameters: " + json.dumps(keep, ensure_ascii=False, sort_keys=True)
    room = provenance.get("room")
    if room:
        text += " Room settings: " + json.dumps(room, ensure_ascii=False, sort_keys=True)
    return text


def _comment(estimate: SkinDoseEstimate) -> str:
    areas = ", ".join(
        f"{level} mGy: {value:.0f} cm²"
        for level, value in (
            (2000, estimate.area_2gy_cm2),
            (3000, estimate.area_3gy_cm2),
            (5000, estimate.area_5gy_cm2),
        )
        if value is not None
    )
    lines = [
        f"Computed by Kerma {estimate.kerma_version or __version__} on "
        f"{estimate.computed_at:%Y-%m-%d %H:%M} with method '{estimate.method}'.",
        f"Skin area above {areas}." if areas else "Skin areas not available.",
        f"Irradiation events used: {estimate.events_used}; skipped: {estimate.events_skipped}.",
    ]
    lines += [str(w) for w in estimate.warnings][:20]
    return "\n".join(lines)


def build_sr(estimate: SkinDoseEstimate) -> Dataset:
    """Return the Patient Radiation Dose SR dataset (with file meta) of ``estimate``."""
    now = datetime.now()
    entropy = [estimate.study_uid, estimate.computed_at.isoformat(), "kerma-prdsr"]
    sop_uid = generate_uid(prefix=_UID_PREFIX, entropy_srcs=entropy)
    series_uid = generate_uid(prefix=_UID_PREFIX, entropy_srcs=[*entropy, "series"])

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = PATIENT_RADIATION_DOSE_SR
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = PATIENT_RADIATION_DOSE_SR
    ds.SOPInstanceUID = sop_uid
    ds.PatientID = estimate.patient_id
    ds.PatientName = estimate.patient_name
    ds.PatientBirthDate = ""
    ds.PatientSex = estimate.sex if estimate.sex in ("M", "F", "O") else ""
    if estimate.age_years is not None:
        ds.PatientAge = f"{min(int(estimate.age_years), 999):03d}Y"
    if estimate.weight_kg:
        ds.PatientWeight = f"{estimate.weight_kg:.1f}"
    if estimate.height_m:
        ds.PatientSize = f"{estimate.height_m:.2f}"
    # Study: the exam's own.
    ds.StudyInstanceUID = estimate.study_uid
    ds.StudyDate = f"{estimate.study_date:%Y%m%d}" if estimate.study_date else ""
    ds.StudyTime = (estimate.study_time or "").split(".")[0][:6]
    ds.AccessionNumber = estimate.accession_number[:16]
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    # Series and equipment: Kerma.
    ds.Modality = "SR"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 9030
    ds.SeriesDescription = "Patient Radiation Dose (skin dose map)"
    ds.Manufacturer = "Kerma"
    ds.ManufacturerModelName = "Kerma"
    ds.DeviceSerialNumber = "kerma"
    ds.SoftwareVersions = __version__
    ds.InstitutionName = (estimate.institution or "")[:64]
    # SR document.
    ds.InstanceNumber = 1
    ds.ContentDate = f"{now:%Y%m%d}"
    ds.ContentTime = f"{now:%H%M%S}"
    ds.InstanceCreationDate = ds.ContentDate
    ds.InstanceCreationTime = ds.ContentTime
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.PerformedProcedureCodeSequence = Sequence()
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = "10030"
    ds.ContentTemplateSequence = Sequence([template])

    evidence = []
    for source in estimate.sources:
        if not source.series_instance_uid:
            continue
        instance = Dataset()
        instance.ReferencedSOPClassUID = source.sop_class_uid
        instance.ReferencedSOPInstanceUID = source.sop_instance_uid
        series_item = Dataset()
        series_item.SeriesInstanceUID = source.series_instance_uid
        series_item.ReferencedSOPSequence = Sequence([instance])
        study_item = Dataset()
        study_item.StudyInstanceUID = estimate.study_uid
        study_item.ReferencedSeriesSequence = Sequence([series_item])
        evidence.append(study_item)
    if evidence:
        ds.CurrentRequestedProcedureEvidenceSequence = Sequence(evidence)

    used_uids = estimate.used_event_uids
    instances_used = []
    for source in estimate.sources:
        item = _item("CONTAINS", "COMPOSITE", c.SR_INSTANCE_USED)
        reference = Dataset()
        reference.ReferencedSOPClassUID = source.sop_class_uid
        reference.ReferencedSOPInstanceUID = source.sop_instance_uid
        item.ReferencedSOPSequence = Sequence([reference])
        if used_uids:
            item.ContentSequence = Sequence(
                [_uidref("HAS PROPERTIES", c.EVENT_UID_USED, u) for u in used_uids]
            )
        instances_used.append(item)

    model_type = (
        c.ANTHROPOMORPHIC_MODEL if _phantom_type(estimate) == "human" else c.SIMPLE_OBJECT_MODEL
    )
    dose_model = _container(
        "CONTAINS",
        c.PATIENT_RADIATION_DOSE_MODEL,
        [
            _code_item("CONTAINS", c.PATIENT_MODEL_TYPE, model_type),
            _code_item("CONTAINS", c.RADIATION_TRANSPORT_MODEL_TYPE, c.GEOMETRIC_TRANSPORT_MODEL),
            _text("CONTAINS", c.PATIENT_DOSE_MODEL_REFERENCE, _phantom_reference(estimate)),
            _text("CONTAINS", c.COMMENT, _corrections(estimate)),
            _container("CONTAINS", c.PATIENT_MODEL_DEMOGRAPHICS, []),
        ],
    )
    methodology = _container(
        "CONTAINS", c.RADIATION_DOSE_ESTIMATE_METHODOLOGY, [*instances_used, dose_model]
    )
    representation_items = [_code_item("CONTAINS", c.DISTRIBUTION_REPRESENTATION, c.SKIN_DOSE_MAP)]
    if estimate.psd_mgy is not None:
        representation_items.append(
            _num("CONTAINS", c.MAXIMUM_ABSORBED_DOSE, estimate.psd_mgy, c.U_MGY)
        )
    name = "Peak skin dose" + (" (skin dose map)" if estimate.method == "map" else " (from Ka,r)")
    dose_estimate = _container(
        "CONTAINS",
        c.RADIATION_DOSE_ESTIMATE,
        [
            _text("CONTAINS", c.RADIATION_DOSE_ESTIMATE_NAME, name),
            _container("CONTAINS", c.RADIATION_DOSE_ESTIMATE_REPRESENTATION, representation_items),
            methodology,
        ],
    )
    rel = "HAS OBS CONTEXT"
    observer = [
        _code_item(rel, c.OBSERVER_TYPE, c.DEVICE),
        _uidref(
            rel,
            c.DEVICE_OBSERVER_UID,
            generate_uid(prefix=_UID_PREFIX, entropy_srcs=["kerma-device-observer"]),
        ),
        _text(rel, c.DEVICE_OBSERVER_NAME, "Kerma"),
        _text(rel, c.DEVICE_OBSERVER_MANUFACTURER, "Kerma"),
        _text(rel, c.DEVICE_OBSERVER_MODEL, f"Kerma {__version__}"),
    ]
    language = _code_item("HAS CONCEPT MOD", c.LANGUAGE_OF_CONTENT, c.ENGLISH_US)
    root = _container(
        None,
        c.PATIENT_RADIATION_DOSE_REPORT,
        [language, *observer, dose_estimate, _text("CONTAINS", c.COMMENT, _comment(estimate))],
    )
    for name in ("ValueType", "ConceptNameCodeSequence", "ContinuityOfContent", "ContentSequence"):
        setattr(ds, name, getattr(root, name))
    return ds


def sr_bytes(estimate: SkinDoseEstimate) -> bytes:
    """Return the Part-10 file bytes of the Patient Radiation Dose SR of ``estimate``."""
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, build_sr(estimate), enforce_file_format=True)
    return buffer.getvalue()


def describe(ds: Dataset) -> dict[str, Any]:
    """Return the peak skin dose (mGy) and distribution representation read from an SR (used by
    tests and by anyone checking a file)."""
    found: dict[str, Any] = {}

    def walk(items: Any) -> None:
        for item in items:
            code = item.ConceptNameCodeSequence[0].CodeValue
            if code == c.MAXIMUM_ABSORBED_DOSE.value:
                found["psd_mgy"] = float(item.MeasuredValueSequence[0].NumericValue)
            if code == c.DISTRIBUTION_REPRESENTATION.value:
                found["representation"] = item.ConceptCodeSequence[0].CodeMeaning
            if "ContentSequence" in item:
                walk(item.ContentSequence)

    walk(ds.ContentSequence)
    return found
