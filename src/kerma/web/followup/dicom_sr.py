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

Patient identification is the pseudonym unless the installation keeps identifiers in clear
(``KERMA_CLEAR_IDENTIFIERS``). The document belongs to the exam's study.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

from kerma import __version__, config
from kerma.web.dose.models import Exam, Report
from kerma.web.followup.models import SkinDoseMap

PATIENT_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.73"
_UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as generate_uid() uses


def _code(value: str, meaning: str, scheme: str = "DCM") -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _item(relationship: str | None, value_type: str, concept: tuple[str, str]) -> Dataset:
    item = Dataset()
    if relationship:
        item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([_code(*concept)])
    return item


def _container(relationship: str | None, concept: tuple[str, str], children: list) -> Dataset:
    item = _item(relationship, "CONTAINER", concept)
    item.ContinuityOfContent = "SEPARATE"
    if children:
        item.ContentSequence = Sequence(children)
    return item


def _text(relationship: str, concept: tuple[str, str], text: str) -> Dataset:
    item = _item(relationship, "TEXT", concept)
    item.TextValue = text
    return item


def _code_item(relationship: str, concept: tuple[str, str], value: tuple[str, str, str]) -> Dataset:
    item = _item(relationship, "CODE", concept)
    item.ConceptCodeSequence = Sequence([_code(value[0], value[2], value[1])])
    return item


def _num(relationship: str, concept: tuple[str, str], value: float, unit: str) -> Dataset:
    item = _item(relationship, "NUM", concept)
    measured = Dataset()
    measured.NumericValue = f"{value:.6g}"[:16]
    measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, unit, "UCUM")])
    item.MeasuredValueSequence = Sequence([measured])
    return item


def _uidref(relationship: str, concept: tuple[str, str], uid: str) -> Dataset:
    item = _item(relationship, "UIDREF", concept)
    item.UID = uid
    return item


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


def _phantom_type(row: SkinDoseMap) -> str:
    phantom = (row.provenance or {}).get("phantom", "")
    return str(phantom.get("type", "")) if isinstance(phantom, dict) else str(phantom)


def _phantom_reference(row: SkinDoseMap) -> str:
    """Return the phantom's name and size as the provenance states them."""
    phantom = (row.provenance or {}).get("phantom", "")
    if isinstance(phantom, dict):
        size = {k: v for k, v in phantom.items() if k != "type"}
        text = f"Kerma stylised phantom '{phantom.get('type', '?')}'"
        if size:
            text += f", size {json.dumps(size, ensure_ascii=False, sort_keys=True)}"
    else:
        text = f"Kerma stylised phantom '{phantom or '?'}'"
    return text[:1024]


def _corrections(row: SkinDoseMap) -> str:
    provenance = dict(row.provenance or {})
    keep = {k: v for k, v in provenance.items() if k not in ("room",)}
    text = "Corrections and parameters: " + json.dumps(keep, ensure_ascii=False, sort_keys=True)
    room = provenance.get("room")
    if room:
        text += " Room settings: " + json.dumps(room, ensure_ascii=False, sort_keys=True)
    return text


def _comment(row: SkinDoseMap) -> str:
    areas = ", ".join(
        f"{level} mGy: {value:.0f} cm²"
        for level, value in (
            (2000, row.area_2gy_cm2),
            (3000, row.area_3gy_cm2),
            (5000, row.area_5gy_cm2),
        )
        if value is not None
    )
    skipped = len(row.events_skipped or [])
    lines = [
        f"Computed by Kerma {row.kerma_version or __version__} on "
        f"{row.computed_at:%Y-%m-%d %H:%M} with method '{row.method}'.",
        f"Skin area above {areas}." if areas else "Skin areas not available.",
        f"Irradiation events used: {row.events_used}; skipped: {skipped}.",
    ]
    lines += [str(w) for w in (row.warnings or [])][:20]
    return "\n".join(lines)


def build_sr(exam: Exam, row: SkinDoseMap) -> Dataset:
    """Return the Patient Radiation Dose SR dataset (with file meta) of ``exam``'s skin dose."""
    now = datetime.now()
    entropy = [exam.study_uid, row.computed_at.isoformat(), "kerma-prdsr"]
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
    # Patient: the pseudonym, unless the installation keeps identifiers in clear.
    if config.keep_clear_identifiers() and exam.patient_id:
        ds.PatientID = exam.patient_id
        ds.PatientName = exam.patient_name
    else:
        ds.PatientID = exam.patient_key or "ANONYMOUS"
        ds.PatientName = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = exam.sex if exam.sex in ("M", "F", "O") else ""
    if exam.age_years is not None:
        ds.PatientAge = f"{min(int(exam.age_years), 999):03d}Y"
    if exam.weight_kg:
        ds.PatientWeight = f"{exam.weight_kg:.1f}"
    if exam.height_m:
        ds.PatientSize = f"{exam.height_m:.2f}"
    # Study: the exam's own.
    ds.StudyInstanceUID = exam.study_uid
    ds.StudyDate = f"{exam.study_date:%Y%m%d}" if exam.study_date else ""
    ds.StudyTime = (exam.study_time or "").split(".")[0][:6]
    ds.AccessionNumber = exam.accession_number[:16]
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
    ds.InstitutionName = (exam.device.institution or "")[:64]
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

    sources = _source_reports(exam)
    evidence = []
    for report, series in sources:
        if not series:
            continue
        instance = Dataset()
        instance.ReferencedSOPClassUID = report.sop_class_uid
        instance.ReferencedSOPInstanceUID = report.sop_instance_uid
        series_item = Dataset()
        series_item.SeriesInstanceUID = series
        series_item.ReferencedSOPSequence = Sequence([instance])
        study_item = Dataset()
        study_item.StudyInstanceUID = exam.study_uid
        study_item.ReferencedSeriesSequence = Sequence([series_item])
        evidence.append(study_item)
    if evidence:
        ds.CurrentRequestedProcedureEvidenceSequence = Sequence(evidence)

    used_uids = _used_event_uids(exam, row)
    instances_used = []
    for report, _series in sources:
        item = _item("CONTAINS", "COMPOSITE", ("128416", "SR Instance Used"))
        reference = Dataset()
        reference.ReferencedSOPClassUID = report.sop_class_uid
        reference.ReferencedSOPInstanceUID = report.sop_instance_uid
        item.ReferencedSOPSequence = Sequence([reference])
        if used_uids:
            item.ContentSequence = Sequence(
                [_uidref("HAS PROPERTIES", ("128429", "Event UID Used"), u) for u in used_uids]
            )
        instances_used.append(item)

    phantom = _phantom_type(row)
    model_type = (
        ("128404", "DCM", "Anthropomorphic Model")
        if phantom == "human"
        else ("128418", "DCM", "Simple Object Model")
    )
    dose_model = _container(
        "CONTAINS",
        ("128500", "Patient Radiation Dose Model"),
        [
            _code_item("CONTAINS", ("128417", "Patient Model Type"), model_type),
            _code_item(
                "CONTAINS",
                ("128420", "Radiation Transport Model Type"),
                ("128421", "DCM", "Geometric Radiation Transport Model"),
            ),
            _text(
                "CONTAINS",
                ("128426", "Patient Radiation Dose Model Reference"),
                _phantom_reference(row),
            ),
            _text("CONTAINS", ("121106", "Comment"), _corrections(row)),
            _container("CONTAINS", ("128427", "Patient Model Demographics"), []),
        ],
    )
    methodology = _container(
        "CONTAINS",
        ("128415", "Radiation Dose Estimate Methodology"),
        [*instances_used, dose_model],
    )
    representation_items = [
        _code_item(
            "CONTAINS",
            ("128413", "Distribution Representation"),
            ("128485", "DCM", "Skin Dose Map"),
        )
    ]
    if row.psd_mgy is not None:
        representation_items.append(
            _num(
                "CONTAINS",
                ("128531", "Maximum Absorbed Radiation Dose"),
                row.psd_mgy,
                "mGy",
            )
        )
    estimate = _container(
        "CONTAINS",
        ("128402", "Radiation Dose Estimate"),
        [
            _text(
                "CONTAINS",
                ("128403", "Radiation Dose Estimate Name"),
                "Peak skin dose" + (" (skin dose map)" if row.method == "map" else " (from Ka,r)"),
            ),
            _container(
                "CONTAINS",
                ("128412", "Radiation Dose Estimate Representation"),
                representation_items,
            ),
            methodology,
        ],
    )
    observer = [
        _code_item("HAS OBS CONTEXT", ("121005", "Observer Type"), ("121007", "DCM", "Device")),
        _uidref(
            "HAS OBS CONTEXT",
            ("121012", "Device Observer UID"),
            generate_uid(prefix=_UID_PREFIX, entropy_srcs=["kerma-device-observer"]),
        ),
        _text("HAS OBS CONTEXT", ("121013", "Device Observer Name"), "Kerma"),
        _text("HAS OBS CONTEXT", ("121014", "Device Observer Manufacturer"), "Kerma"),
        _text("HAS OBS CONTEXT", ("121015", "Device Observer Model Name"), f"Kerma {__version__}"),
    ]
    language = _code_item(
        "HAS CONCEPT MOD",
        ("121049", "Language of Content Item and Descendants"),
        ("en-US", "RFC5646", "English (United States)"),
    )
    root = _container(
        None,
        ("128401", "Patient Radiation Dose Report"),
        [
            language,
            *observer,
            estimate,
            _text("CONTAINS", ("121106", "Comment"), _comment(row)),
        ],
    )
    for name in ("ValueType", "ConceptNameCodeSequence", "ContinuityOfContent", "ContentSequence"):
        setattr(ds, name, getattr(root, name))
    return ds


def _used_event_uids(exam: Exam, row: SkinDoseMap) -> list[str]:
    """Return the UIDs of the events used, when some were skipped (TID 10033 row 4: required
    iff some events were not used); empty otherwise."""
    skipped = {str(s.get("uid", "")) for s in (row.events_skipped or []) if isinstance(s, dict)}
    if not skipped:
        return []
    uids = exam.events.filter(kind="projection").values_list("uid", flat=True)
    # Events without a UID got a made-up key at import ("event#3"): not a DICOM UID.
    return [u for u in uids if u not in skipped and "#" not in u][:10000]


def sr_bytes(exam: Exam, row: SkinDoseMap) -> bytes:
    """Return the Part-10 file bytes of the Patient Radiation Dose SR."""
    ds = build_sr(exam, row)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def describe(ds: Dataset) -> dict[str, Any]:
    """Return the peak skin dose (mGy) and distribution representation read from an SR (used by
    tests and by anyone checking a file)."""
    found: dict[str, Any] = {}

    def walk(items: Any) -> None:
        for item in items:
            code = item.ConceptNameCodeSequence[0].CodeValue
            if code == "128531":
                found["psd_mgy"] = float(item.MeasuredValueSequence[0].NumericValue)
            if code == "128413":
                found["representation"] = item.ConceptCodeSequence[0].CodeMeaning
            if "ContentSequence" in item:
                walk(item.ContentSequence)

    walk(ds.ContentSequence)
    return found
