#!/usr/bin/env python
"""Ingest throughput of Kerma against plain pydicom, measured in one run on the same files.

Four measures, each over every file of a set:

  (a) ``pydicom.dcmread(path)`` alone: the floor any pydicom-based importer pays;
  (b) a naive importer: ``dcmread`` then a walk of the whole SR content tree through pydicom's
      dataset API (concept name codes, value type, relationship and the value of every item),
      or, for image headers, the dose attributes read through the dataset API;
  (c) Kerma's parser: ``kerma.dicom.reader.read_dose_object(path)``;
  (d) Kerma's ingest: ``kerma.ingest.pipeline.import_bytes`` (read the file, parse, store into
      a fresh SQLite database and archive the source), as ``kerma import`` does.

Two sets of files, reported separately: the shared vendor files (``--shared``, skipped when the
folder is absent) and ``--generated N`` reports made with ``kerma.dicom.write`` (or, while that
module is not available, copies of the shared CT dose reports with new UIDs).

Then the whole command: ``kerma import`` (the real CLI in a subprocess, a new KERMA_HOME with
SQLite) of ``--copies K`` copies of the shared files, each copy other studies and patients,
against pydicom reading every element of the same files (``dcmread``, then every element's value,
nested sequences included), in the same run; with the import's peak resident memory.

Run: ``.venv/bin/python benchmarks/ingest.py [--generated N] [--repeat R] [--copies K]
[--json [PATH]]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

DEFAULT_SHARED = Path("/work/shared/rdsr")
NOT_A_DOSE_REPORT = "ESR_non-dose.dcm"
MEASURES = {
    "a": "pydicom dcmread only",
    "b": "naive pydicom walk",
    "c": "Kerma parse",
    "d": "Kerma parse + store",
}
CT_TARGET_PER_S = 100.0  # (d) on CT reports
RATIO_TARGET = 3.0  # (d)/(b) on the shared mix
WARMUP_FILES = 40

# --- the files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One input file and what it is (CT, DX, MG, RF, XA, NM…), for the per-kind figures."""

    path: Path
    kind: str

    @property
    def is_ct(self) -> bool:
        return self.kind == "CT"


@dataclass
class FileSet:
    name: str
    samples: list[Sample]
    note: str = ""
    excluded: list[str] = field(default_factory=list)


def shared_set(folder: Path) -> FileSet | None:
    """Return the shared vendor files (kind from expected.csv), without the non-dose object."""
    files = sorted(folder.glob("*.dcm"))
    if not files:
        return None
    kinds: dict[str, str] = {}
    expected = folder / "expected.csv"
    if expected.exists():
        with expected.open(newline="", encoding="utf-8") as handle:
            kinds = {row["file"]: row["kind"] for row in csv.DictReader(handle)}
    samples, excluded = [], []
    for path in files:
        kind = kinds.get(path.name) or _kind_from_header(path)
        if path.name == NOT_A_DOSE_REPORT or kind == "not a dose report":
            excluded.append(path.name)
            continue
        samples.append(Sample(path, kind))
    return FileSet(
        "shared",
        samples,
        note=f"vendor files in {folder}",
        excluded=[f"{name} (not a dose report; Kerma refuses it)" for name in excluded],
    )


def _kind_from_header(path: Path) -> str:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return str(ds.get("Modality", "?"))


# --- generated reports ------------------------------------------------------------------------


def generate_set(n: int, folder: Path, shared: Path, seed: int) -> FileSet:
    """Write ``n`` reports into ``folder``: a realistic mix made with kerma.dicom.write, or,
    while that module is not available, copies of the shared CT dose reports with new UIDs."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from kerma.dicom import write as writer
    except ImportError as exc:
        samples = _clone_ct_reports(n, folder, shared, seed)
        note = f"kerma.dicom.write not importable ({exc}): CT-only copies of the shared CT"
        return FileSet("generated", samples, note=note + " dose reports with new UIDs")
    try:
        return _generate_with_writer(writer, n, folder, random.Random(seed))
    except Exception as exc:  # noqa: BLE001 - the writer is young: say why, measure anyway
        for path in folder.glob("*.dcm"):
            path.unlink()
        samples = _clone_ct_reports(n, folder, shared, seed)
        note = f"kerma.dicom.write failed ({type(exc).__name__}: {exc}): CT-only copies"
        return FileSet("generated", samples, note=note + " of the shared CT dose reports")


# A day-to-day mix of a hospital's dose objects: CT reports dominate, then radiography (mostly
# dose reports, some image headers only), mammography, fluoroscopy and interventional work.
_MIX = (
    ("CT", 0.50),
    ("DX", 0.17),
    ("DX image", 0.05),
    ("MG", 0.10),
    ("RF", 0.10),
    ("XA", 0.08),
)
_CONTINUED_CT = 0.05  # share of CT reports that continue the previous CT study (new events)
_CT_PROTOCOLS = (
    ("Head routine", "head", 16, 45.0, 160.0),
    ("Chest", "chest", 32, 6.0, 350.0),
    ("Abdomen-pelvis", "abdomen_pelvis", 32, 10.0, 450.0),
    ("Chest-abdomen-pelvis", "chest_abdomen_pelvis", 32, 9.0, 650.0),
    ("Lumbar spine", "lumbar_spine", 32, 15.0, 220.0),
    ("Sinus low dose", "sinus", 16, 8.0, 100.0),
)
_DX_EXAMS = (
    ("Chest PA/LAT", "chest", ("PA", "LAT"), 0.12),
    ("Abdomen AP", "abdomen", ("AP",), 1.5),
    ("Pelvis AP", "pelvis", ("AP",), 1.2),
    ("Knee", "knee", ("AP", "LAT"), 0.05),
    ("Lumbar spine", "lumbar_spine", ("AP", "LAT"), 1.8),
    ("Hand", "hand", ("PA", "OBL"), 0.01),
)


def _uid(rng: random.Random) -> str:
    return f"2.25.{rng.getrandbits(125)}"


def _generate_with_writer(w: object, n: int, folder: Path, rng: random.Random) -> FileSet:
    """Write ``n`` dose objects with kerma.dicom.write (see ``_MIX``)."""

    def device(kind: str, number: int, manufacturer: str, model: str) -> object:
        return w.Device(
            manufacturer=manufacturer,
            model=model,
            serial_number=f"{kind}{number:04d}",
            station_name=f"{kind}ROOM{number}",
            device_observer_uid=f"1.2.826.0.1.3680043.10.1234.{len(kind)}{number}",
            institution="Kerma General Hospital",
            department="Radiology",
        )

    devices = {
        "CT": [
            (device("CT", 1, "SIEMENS", "SOMATOM Force"), frozenset({"non_ucum_units"})),
            (device("CT", 2, "GE MEDICAL SYSTEMS", "Revolution"), frozenset()),
            (device("CT", 3, "Canon Medical Systems", "Aquilion ONE"), frozenset()),
        ],
        "DX": [(device("DX", 1, "CARESTREAM", "DRX-Evolution"), frozenset())],
        "DX image": [(device("DI", 1, "GE Healthcare", "Definium"), frozenset())],
        "MG": [(device("MG", 1, "HOLOGIC, Inc.", "Selenia Dimensions"), frozenset())],
        "RF": [(device("RF", 1, "Philips", "Allura Xper"), frozenset({"text_reference_point"}))],
        "XA": [(device("XA", 1, "Siemens", "Artis Q"), frozenset())],
    }
    moment = dt.datetime(2025, 3, 3, 7, 30)
    samples: list[Sample] = []
    previous_ct: tuple | None = None
    kinds, weights = zip(*_MIX, strict=True)
    for index in range(n):
        kind = rng.choices(kinds, weights)[0]
        moment += dt.timedelta(minutes=rng.randint(2, 12))
        unit, quirks = rng.choice(devices[kind])
        age = rng.uniform(18, 90)
        patient = w.Patient(
            patient_id=f"P{rng.randrange(10**8):08d}",
            name=f"DOE^PATIENT{index}",
            birth_date=(moment - dt.timedelta(days=int(age * 365.25))).date(),
            sex="F" if kind == "MG" else rng.choice("MF"),
            age_years=int(age),
            weight_kg=round(rng.uniform(45, 110), 1),
            height_m=round(rng.uniform(1.5, 1.95), 2),
        )
        study = w.Study(
            study_instance_uid=_uid(rng),
            accession_number=f"A{index:09d}",
            description=kind,
            start=moment,
        )
        path = folder / f"{index:06d}-{kind.replace(' ', '-')}.dcm"
        if kind == "CT":
            if previous_ct is not None and rng.random() < _CONTINUED_CT:
                patient, unit, quirks, study = previous_ct  # a continued report, new events
            events = _ct_acquisitions(w, rng, moment)
            w.write_ct_rdsr(path, patient, unit, study, events, quirks=quirks)
            previous_ct = (patient, unit, quirks, study)
        elif kind == "DX image":
            event = _dx_events(w, rng, moment)[0]
            w.write_dx_image(path, patient, unit, study, event, quirks=quirks)
        else:
            events, report_kind = {
                "DX": (_dx_events, "radiography"),
                "MG": (_mg_events, "mammography"),
                "RF": (_fluoro_events, "fluoroscopy"),
                "XA": (_fluoro_events, "fluoroscopy"),
            }[kind]
            w.write_projection_rdsr(
                path,
                patient,
                unit,
                study,
                events(w, rng, moment, kind),
                kind=report_kind,
                quirks=quirks,
            )
        samples.append(Sample(path, kind))
    return FileSet("generated", samples, note="kerma.dicom.write")


def _ct_acquisitions(w: object, rng: random.Random, start: object) -> list:
    protocol, region, phantom, ctdi, length = rng.choice(_CT_PROTOCOLS)
    body = phantom == 32
    events = [
        w.CtAcquisition(
            protocol=f"{protocol} topogram",
            target_region=region,
            acquisition_type="constant_angle",
            start=start,
            ctdivol_mgy=None,
            dlp_mgycm=round(rng.uniform(2, 15), 2),
            phantom=phantom,
            kvp=120.0,
            tube_current_ma=35.0,
            exposure_time_s=round(rng.uniform(2, 6), 2),
            scan_length_mm=round(length * 1.3),
            single_collimation_mm=0.6,
            total_collimation_mm=38.4,
            event_uid=_uid(rng),
        )
    ]
    for number in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        ctdivol = round(ctdi * rng.uniform(0.6, 1.6), 2)
        scan = round(length * rng.uniform(0.8, 1.2))
        spiral = rng.random() < 0.85
        events.append(
            w.CtAcquisition(
                protocol=f"{protocol} {number + 1}",
                target_region=region,
                acquisition_type="spiral" if spiral else "sequenced",
                start=start + dt.timedelta(seconds=40 * (number + 1)),
                ctdivol_mgy=ctdivol,
                dlp_mgycm=round(ctdivol * scan / 10, 2),
                phantom=phantom,
                kvp=rng.choice((80.0, 100.0, 120.0, 120.0, 140.0)),
                tube_current_ma=round(rng.uniform(80, 450), 1),
                max_tube_current_ma=500.0,
                exposure_time_s=round(rng.uniform(2, 15), 2),
                rotation_time_s=rng.choice((0.28, 0.33, 0.5, 1.0)),
                pitch=round(rng.uniform(0.6, 1.5), 3) if spiral else None,
                scan_length_mm=scan,
                single_collimation_mm=0.6,
                total_collimation_mm=38.4,
                ssde_mgy=round(ctdivol * rng.uniform(1.0, 1.5), 2) if body else None,
                water_equivalent_diameter_mm=round(rng.uniform(220, 340)) if body else None,
                contrast=rng.random() < 0.4,
                event_uid=_uid(rng),
            )
        )
    return events


def _dx_events(w: object, rng: random.Random, start: object, kind: str = "DX") -> list:
    protocol, region, views, dap = rng.choice(_DX_EXAMS)
    return [
        w.ProjectionEvent(
            event_type="stationary",
            start=start + dt.timedelta(seconds=30 * number),
            dap_gycm2=round(dap * rng.uniform(0.5, 1.8), 4),
            kar_mgy=round(dap * rng.uniform(0.5, 1.5), 4),
            protocol=f"{protocol} {view}",
            target_region=region,
            image_view=view,
            kvp=float(rng.choice((55, 66, 75, 81, 90, 109, 125))),
            tube_current_ma=float(rng.randint(100, 500)),
            exposure_time_ms=float(rng.randint(4, 200)),
            exposure_uas=float(rng.randint(500, 40000)),
            source_detector_mm=float(rng.choice((1000, 1150, 1800))),
            filter_material="aluminium",
            filter_thickness_mm=rng.choice((0.0, 1.0, 2.0)),
            event_uid=_uid(rng),
        )
        for number, view in enumerate(views)
    ]


def _mg_events(w: object, rng: random.Random, start: object, kind: str = "MG") -> list:
    events = []
    for number, (side, view) in enumerate((("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))):
        events.append(
            w.ProjectionEvent(
                event_type="stationary",
                start=start + dt.timedelta(seconds=45 * number),
                dap_gycm2=round(rng.uniform(0.02, 0.08), 4),
                agd_mgy=round(rng.uniform(0.8, 2.6), 3),
                entrance_exposure_mgy=round(rng.uniform(3, 12), 3),
                laterality=side,
                image_view=view,
                target_region="breast",
                kvp=float(rng.randint(25, 34)),
                tube_current_ma=float(rng.randint(80, 200)),
                exposure_time_ms=float(rng.randint(400, 1600)),
                exposure_uas=float(rng.randint(40000, 200000)),
                anode_target="tungsten",
                filter_material=rng.choice(("rhodium", "silver")),
                filter_thickness_mm=0.05,
                compression_thickness_mm=float(rng.randint(25, 75)),
                half_value_layer_mm=round(rng.uniform(0.45, 0.65), 3),
                source_detector_mm=700.0,
                event_uid=_uid(rng),
            )
        )
    return events


def _fluoro_events(w: object, rng: random.Random, start: object, kind: str) -> list:
    """Fluoroscopy (RF: 5 to 30 events, single plane) or interventional runs (XA: 15 to 80
    events, a third of procedures biplane)."""
    count = rng.randint(5, 30) if kind == "RF" else rng.randint(15, 80)
    biplane = kind == "XA" and rng.random() < 0.33
    events = []
    moment = start
    for number in range(count):
        fluoro = rng.random() < 0.7
        duration = rng.uniform(2, 60) if fluoro else rng.uniform(2, 10)
        rate = rng.choice((7.5, 15.0)) if fluoro else rng.choice((2.0, 3.0, 6.0))
        events.append(
            w.ProjectionEvent(
                event_type="fluoroscopy" if fluoro else "stationary",
                start=moment,
                dap_gycm2=round(rng.uniform(0.05, 8.0), 4),
                kar_mgy=round(rng.uniform(0.5, 60.0), 3),
                protocol="Fluoro low" if fluoro else "Acquisition 3 fps",
                plane=("A" if number % 2 == 0 else "B") if biplane else "single",
                primary_angle_deg=round(rng.uniform(-90, 90), 1),
                secondary_angle_deg=round(rng.uniform(-40, 40), 1),
                source_isocenter_mm=750.0,
                source_detector_mm=round(rng.uniform(950, 1200), 1),
                table_longitudinal_mm=round(rng.uniform(-300, 300), 1),
                table_lateral_mm=round(rng.uniform(-50, 50), 1),
                table_height_mm=round(rng.uniform(800, 1000), 1),
                field_width_mm=float(rng.choice((200, 250, 300))),
                field_height_mm=float(rng.choice((200, 250, 300))),
                kvp=round(rng.uniform(65, 110), 1),
                tube_current_ma=round(rng.uniform(5, 600), 1),
                pulse_width_ms=round(rng.uniform(3, 12), 1),
                pulse_rate_per_s=rate,
                number_of_pulses=max(1, round(duration * rate)),
                irradiation_duration_s=round(duration, 2),
                filter_material="copper",
                filter_thickness_mm=rng.choice((0.1, 0.2, 0.3, 0.6, 0.9)),
                target_region=rng.choice(("chest", "abdomen", "heart")),
                event_uid=_uid(rng),
            )
        )
        moment += dt.timedelta(seconds=duration + rng.uniform(10, 120))
    return events


def _mix_text(samples: Iterable[Sample]) -> str:
    counts: dict[str, int] = {}
    for sample in samples:
        counts[sample.kind] = counts.get(sample.kind, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


_IRRADIATION_EVENT_UID = ("113769", "DCM")


def _instance_uids(ds: pydicom.Dataset) -> list[str]:
    """Return the UIDs a copy must change: study, series, instance and irradiation events."""
    uids = [str(ds.get(k, "")) for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")]
    header_event = ds.get("IrradiationEventUID") or []  # image headers: one or several
    uids += [str(u) for u in ([header_event] if isinstance(header_event, str) else header_event)]
    stack = list(ds.get("ContentSequence", []))
    while stack:
        item = stack.pop()
        names = item.get("ConceptNameCodeSequence")
        if names and item.get("ValueType") == "UIDREF":
            code = (str(names[0].get("CodeValue", "")), str(names[0].get("CodingSchemeDesignator")))
            if code == _IRRADIATION_EVENT_UID and item.get("UID"):
                uids.append(str(item.UID))
        stack.extend(item.get("ContentSequence", []))
    return sorted({u for u in uids if len(u) >= 12}, key=len, reverse=True)


def _same_length_uid(old: str, copy: int, seed: int) -> str:
    digest = int(hashlib.sha256(f"{seed}|{copy}|{old}".encode()).hexdigest(), 16)
    digits = str(digest).ljust(len(old), "1")[: len(old) - 5]  # no leading zero: a big int
    return "2.25." + digits


def _clone_ct_reports(n: int, folder: Path, shared: Path, seed: int) -> list[Sample]:
    """Copy the shared CT dose reports ``n`` times in all with new UIDs of the same length
    (byte replacement, so the encoding is untouched). Reports of one study in the originals
    (cumulative or continued) stay together in each copy."""
    kinds = {}
    expected = shared / "expected.csv"
    if expected.exists():
        with expected.open(newline="", encoding="utf-8") as handle:
            kinds = {row["file"]: row["kind"] for row in csv.DictReader(handle)}
    templates = []
    for path in sorted(shared.glob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        if kinds.get(path.name, str(ds.get("Modality"))) != "CT" or "ContentSequence" not in ds:
            continue
        uids = _instance_uids(ds)
        pattern = re.compile(b"|".join(re.escape(u.encode()) for u in uids))
        templates.append((path.name, path.read_bytes(), uids, pattern))
    if not templates:
        raise SystemExit(f"no CT dose report in {shared} to copy, and no kerma.dicom.write")
    samples = []
    for index in range(n):
        name, data, uids, pattern = templates[index % len(templates)]
        copy = index // len(templates)
        mapping = {u.encode(): _same_length_uid(u, copy, seed).encode() for u in uids}
        path = folder / f"{index:06d}-{name}"
        path.write_bytes(pattern.sub(lambda m, mapping=mapping: mapping[m.group(0)], data))
        samples.append(Sample(path, "CT"))
    return samples


# --- the measures -----------------------------------------------------------------------------

_HEADER_KEYWORDS = (
    "SOPClassUID",
    "SOPInstanceUID",
    "Modality",
    "StudyInstanceUID",
    "AccessionNumber",
    "StudyDate",
    "StudyTime",
    "ContentDate",
    "ContentTime",
    "StudyDescription",
    "PatientID",
    "IssuerOfPatientID",
    "PatientName",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientWeight",
    "PatientSize",
    "Manufacturer",
    "ManufacturerModelName",
    "DeviceSerialNumber",
    "StationName",
    "InstitutionName",
    "InstitutionalDepartmentName",
)
_IMAGE_DOSE_KEYWORDS = (
    "KVP",
    "XRayTubeCurrent",
    "Exposure",
    "ExposureInuAs",
    "ExposureTime",
    "ImageAndFluoroscopyAreaDoseProduct",
    "OrganDose",
    "EntranceDoseInmGy",
    "CTDIvol",
    "SpiralPitchFactor",
    "AcquisitionType",
    "DistanceSourceToDetector",
    "BodyPartThickness",
    "BodyPartExamined",
    "ImageLaterality",
    "ViewPosition",
    "AcquisitionDateTime",
    "IrradiationEventUID",
    "ProtocolName",
    "SeriesDescription",
)
_EXPOSURE_ITEM_KEYWORDS = (
    "CTDIvol",
    "KVP",
    "XRayTubeCurrentInuA",
    "ScanLength",
    "SpiralPitchFactor",
    "TotalCollimationWidth",
    "AcquisitionType",
    "SeriesDescription",
)


def _code(sequence: object) -> tuple[object, object, object] | None:
    if not sequence:
        return None
    first = sequence[0]
    return first.get("CodeValue"), first.get("CodingSchemeDesignator"), first.get("CodeMeaning")


def naive_walk(items: Iterable[pydicom.Dataset], out: list[tuple]) -> None:
    """Walk an SR content tree through pydicom's dataset API, as pydicom-based importers do."""
    for item in items:
        value_type = item.get("ValueType")
        value: object = None
        if value_type == "NUM":
            measured = item.get("MeasuredValueSequence")
            if measured:
                first = measured[0]
                units = _code(first.get("MeasurementUnitsCodeSequence"))
                value = (first.get("NumericValue"), units)
        elif value_type == "CODE":
            value = _code(item.get("ConceptCodeSequence"))
        elif value_type == "TEXT":
            value = item.get("TextValue")
        elif value_type == "UIDREF":
            value = item.get("UID")
        elif value_type == "DATETIME":
            value = item.get("DateTime")
        name = _code(item.get("ConceptNameCodeSequence"))
        out.append((item.get("RelationshipType"), value_type, name, value))
        children = item.get("ContentSequence")
        if children:
            naive_walk(children, out)


def naive_read(path: Path) -> list[tuple]:
    """Measure (b): what a pydicom-based importer does with one file."""
    ds = pydicom.dcmread(path)
    out: list[tuple] = [tuple(ds.get(k) for k in _HEADER_KEYWORDS)]
    content = ds.get("ContentSequence")
    if content is not None:
        naive_walk(content, out)
    else:
        out.append(tuple(ds.get(k) for k in _IMAGE_DOSE_KEYWORDS))
        for item in ds.get("ExposureDoseSequence") or ():
            out.append(tuple(item.get(k) for k in _EXPOSURE_ITEM_KEYWORDS))
    return out


class KermaStore:
    """Measure (d): a fresh KERMA_HOME (and so a fresh SQLite database) for each pass.

    Django is configured once (its settings read KERMA_HOME at import time) in a template home
    whose migrated database is copied into each new home; the connection is then pointed at
    the copy, so every pass starts from an empty, migrated database.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template"
        os.environ["KERMA_HOME"] = str(self.template)
        os.environ.pop("KERMA_DATABASE_URL", None)
        from kerma.web.bootstrap import setup

        setup()
        from django.db import connections

        from kerma import config

        config.secret("patient_hash_key")  # write secrets.json once, copied to each home
        self.connection = connections["default"]
        self.connection.close()
        self.passes = 0
        self.home: Path | None = None
        self.last_summary: object = None

    def fresh(self) -> None:
        """Point Kerma at a new, empty home; the previous one is deleted."""
        self.connection.close()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
        self.passes += 1
        self.home = self.root / f"home-{self.passes}"
        self.home.mkdir()
        for name in ("kerma.sqlite3", "secrets.json"):
            shutil.copyfile(self.template / name, self.home / name)
        self.connection.settings_dict["NAME"] = str(self.home / "kerma.sqlite3")
        os.environ["KERMA_HOME"] = str(self.home)

    def runner(self) -> Callable[[Path], object]:
        from kerma.ingest.pipeline import ImportSummary, import_bytes

        summary = ImportSummary()
        self.last_summary = summary

        def run(path: Path) -> object:
            return import_bytes(path.read_bytes(), str(path), summary)

        return run

    def close(self) -> None:
        self.connection.close()


def kerma_parse(path: Path) -> object:
    """Measure (c). A refused file is counted as a failure by the caller."""
    from kerma.dicom.reader import read_dose_object

    return read_dose_object(path)


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Result:
    measure: str
    files: int
    passes: int
    best_s: float  # best pass, all files
    kind_files: dict[str, int]  # files of each kind
    kind_best_s: dict[str, float]  # best pass of each kind (summed per-file times)
    failures: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.files / self.best_s if self.best_s else float("nan")

    def kind_rate(self, kind: str) -> float:
        seconds = self.kind_best_s.get(kind)
        return self.kind_files[kind] / seconds if seconds else float("nan")

    @property
    def ct_files(self) -> int:
        return self.kind_files.get("CT", 0)

    @property
    def ct_rate(self) -> float:
        return self.kind_rate("CT")


def _one_pass(
    run: Callable[[Path], object], samples: list[Sample], failures: dict[str, str]
) -> tuple[float, dict[str, float], dict[str, int]]:
    """Time ``run`` on each file; return the total, the time per kind and the outcomes."""
    clock = time.perf_counter
    total = 0.0
    per_kind: dict[str, float] = {}
    outcomes: dict[str, int] = {}
    for sample in samples:
        start = clock()
        try:
            outcome = run(sample.path)
        except Exception as exc:  # noqa: BLE001 - a failure is a finding, not a crash
            outcome = "error"
            failures[sample.path.name] = f"{type(exc).__name__}: {exc}"
        elapsed = clock() - start
        total += elapsed
        per_kind[sample.kind] = per_kind.get(sample.kind, 0.0) + elapsed
        key = outcome if isinstance(outcome, str) else "read"
        outcomes[key] = outcomes.get(key, 0) + 1
    return total, per_kind, outcomes


def measure(
    key: str,
    samples: list[Sample],
    repeat: int,
    budget_s: float,
    store: KermaStore | None = None,
) -> Result:
    """Warm up once on the first files, then run up to ``repeat`` passes and keep the best
    (of the whole set, and of each kind of file separately).

    A further pass is run only if it would keep the measure within ``budget_s`` seconds (the
    first pass always runs), so that slow measures on large sets keep the run short.
    """
    simple = {"a": pydicom.dcmread, "b": naive_read, "c": kerma_parse}

    def runner() -> Callable[[Path], object]:
        if key == "d":
            assert store is not None
            store.fresh()
            return store.runner()
        return simple[key]

    _one_pass(runner(), samples[:WARMUP_FILES], {})
    failures: dict[str, str] = {}
    best = float("inf")
    kind_best: dict[str, float] = {}
    outcomes: dict[str, int] = {}
    spent = 0.0
    passes = 0
    while passes < repeat and (passes == 0 or spent + spent / passes <= budget_s):
        run = runner()
        gc.collect()
        total, per_kind, outcomes = _one_pass(run, samples, failures)
        spent += total
        passes += 1
        best = min(best, total)
        for kind, seconds in per_kind.items():
            kind_best[kind] = min(kind_best.get(kind, float("inf")), seconds)
    kind_files: dict[str, int] = {}
    for sample in samples:
        kind_files[sample.kind] = kind_files.get(sample.kind, 0) + 1
    return Result(key, len(samples), passes, best, kind_files, kind_best, failures, outcomes)


def profile(key: str, fileset: FileSet, store: KermaStore | None, top: int = 30) -> str:
    """Return the cProfile statistics of one pass of measure ``key`` over ``fileset``."""
    import cProfile
    import io
    import pstats

    if key == "d":
        assert store is not None
        store.fresh()
        run = store.runner()
    else:
        run = {"a": pydicom.dcmread, "b": naive_read, "c": kerma_parse}[key]
    profiler = cProfile.Profile()
    profiler.enable()
    _one_pass(run, fileset.samples, {})
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write(f"\n-- profile of ({key}) on {fileset.name}, by cumulative time --\n")
    stats.sort_stats("cumulative").print_stats(top)
    text.write(f"-- profile of ({key}) on {fileset.name}, by internal time --\n")
    stats.sort_stats("tottime").print_stats(top)
    return text.getvalue()


# --- the whole command: `kerma import` against pydicom reading every element -----------------

COMMAND_RATIO_TARGET = 5.0  # pydicom reading every element ÷ the whole `kerma import`
KERMA = [sys.executable, "-m", "kerma.cli"]


def copies_set(shared: FileSet, copies: int, folder: Path, seed: int) -> FileSet:
    """Write ``copies`` copies of the shared files, each copy its own studies and patients: the
    Study, Series, SOP Instance and Irradiation Event UIDs and the Patient ID found with pydicom
    are replaced in the bytes by new values of the same length (so the encoding is untouched).
    The reports of one study in
    the originals (cumulative, continued) stay one study in each copy, and the two Siemens-Zee
    files, which share a SOP Instance UID, still do (the second one replaces the first)."""
    templates = []
    for sample in shared.samples:
        ds = pydicom.dcmread(sample.path, stop_before_pixels=True)
        uids = _instance_uids(ds)
        pattern = re.compile(b"|".join(re.escape(u.encode()) for u in uids))
        patient = str(ds.get("PatientID", "")).encode()
        templates.append((sample, sample.path.read_bytes(), uids, pattern, patient))
    samples = []
    for copy in range(copies):
        target = folder / f"copy-{copy:03d}"
        target.mkdir(parents=True)
        for sample, data, uids, pattern, patient in templates:
            mapping = {u.encode(): _same_length_uid(u, copy, seed).encode() for u in uids}
            copied = pattern.sub(lambda m, mapping=mapping: mapping[m.group(0)], data)
            path = target / sample.path.name
            path.write_bytes(_other_patient(copied, patient, copy))
            samples.append(Sample(path, sample.kind))
    note = f"{copies} copies of the {len(shared.samples)} shared vendor files with new UIDs"
    return FileSet("copies", samples, note=note)


_PATIENT_ID_TAG = b"\x10\x00\x20\x00"  # (0010,0020), little endian


def _other_patient(data: bytes, patient: bytes, copy: int) -> bytes:
    """Give a copy its own Patient ID (same length, in the top-level element only), so that
    the copies are other patients' procedures, not one patient's twenty on the same day."""
    if len(patient) < 3:
        return data
    digits = str(int(hashlib.sha256(b"%d|" % copy + patient).hexdigest(), 16))
    new = ("K" + digits).encode()[: len(patient)]  # one new patient per original and copy
    element = re.compile(
        re.escape(_PATIENT_ID_TAG) + b"(LO..|....)" + re.escape(patient) + b"(?=[ \x00]?)",
        re.DOTALL,
    )
    return element.sub(lambda m: _PATIENT_ID_TAG + m.group(1) + new, data, count=1)


def read_every_element(path: Path) -> int:
    """pydicom reading a file whole: ``dcmread``, then the value of every element, nested
    sequences included (``Dataset.iterall``); return how many elements."""
    ds = pydicom.dcmread(path)
    count = 0
    for element in ds.iterall():
        element.value  # noqa: B018 - converting the raw value is the work measured
        count += 1
    return count


def _import_env(home: Path, pycache: Path | None) -> dict[str, str]:
    """Return the environment of ``kerma import``: ``home`` as KERMA_HOME, SQLite. With a
    ``pycache`` folder, Python caches the modules it compiles there (as an installation does
    with its .pyc files); without it, the environment's own setting stands (this machine sets
    PYTHONDONTWRITEBYTECODE=1: every process, parse workers included, compiles all it imports).
    """
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(home)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(x) for x in task.read_text().split()]
    return found


def _high_water_kb(pid: int) -> int:
    """Return a process's peak resident memory so far (VmHWM, kB), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class CommandRun:
    """One `kerma import FOLDER --json` in a subprocess."""

    wall_s: float
    cpu_s: float  # user + system of the command and its parse workers
    peak_rss_mb: float  # the importing process (VmHWM polled every 50 ms)
    peak_rss_all_mb: float  # the importing process plus each parse worker's peak
    summary: dict


def run_import(folder: Path, home: Path, pycache: Path | None) -> CommandRun:
    """Run ``kerma import FOLDER --json`` in ``home``; return its times, memory and summary."""
    import resource
    import subprocess
    import threading

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cpu = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(
        [*KERMA, "import", str(folder), "--json"],
        env=_import_env(home, pycache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks: dict[int, int] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for pid in [process.pid, *_children_of(process.pid)]:
                peaks[pid] = max(peaks.get(pid, 0), _high_water_kb(pid))
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate(timeout=1800)
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    if process.returncode not in (0, 3):  # 3: some files quarantined, the others imported
        raise RuntimeError(f"kerma import failed ({process.returncode}):\n{err[-2000:]}")
    return CommandRun(
        wall,
        children_cpu() - cpu,
        peaks.get(process.pid, 0) / 1024,
        sum(peaks.values()) / 1024,
        json.loads(out),
    )


@dataclass
class CommandResult:
    files: int
    pydicom_s: float  # reading every element of every file, one process
    pydicom_cpu_s: float
    elements: int
    noop: CommandRun  # `kerma import EMPTY`: start-up, Django, the migration check
    runs: list[CommandRun]
    bytecode_cache: bool

    @property
    def best(self) -> CommandRun:
        return min(self.runs, key=lambda run: run.wall_s)

    @property
    def ratio(self) -> float:
        return self.pydicom_s / self.best.wall_s

    @property
    def cpu_ratio(self) -> float:
        return self.pydicom_cpu_s / self.best.cpu_s


def measure_command(
    fileset: FileSet, root: Path, repeat: int, bytecode_cache: bool = True
) -> CommandResult:
    """pydicom reading every element of the files, then ``kerma import`` of their folder in a
    new home (created and migrated beforehand by an untimed ``kerma import EMPTY``), best of
    ``repeat``; a no-op ``kerma import EMPTY`` gives the fixed start-up cost. With
    ``bytecode_cache``, an untimed import of the first copy fills the cache first."""
    folder = fileset.samples[0].path.parent.parent
    empty = root / "empty"
    empty.mkdir(exist_ok=True)
    pycache = root / "pycache" if bytecode_cache else None
    if pycache is not None:
        run_import(fileset.samples[0].path.parent, root / "command-home-warm-up", pycache)
    for sample in fileset.samples[:WARMUP_FILES]:
        read_every_element(sample.path)
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    elements = sum(read_every_element(sample.path) for sample in fileset.samples)
    pydicom_s, pydicom_cpu = time.perf_counter() - start, time.process_time() - cpu
    runs = []
    for number in range(max(1, repeat)):
        home = root / f"command-home-{number}"
        run_import(empty, home, pycache)  # create and migrate the database: not timed
        runs.append(run_import(folder, home, pycache))
        shutil.rmtree(home, ignore_errors=True)
    home = root / "command-home-noop"
    run_import(empty, home, pycache)
    noop = run_import(empty, home, pycache)
    shutil.rmtree(home, ignore_errors=True)
    return CommandResult(
        len(fileset.samples), pydicom_s, pydicom_cpu, elements, noop, runs, bytecode_cache
    )


def command_table(fileset: FileSet, result: CommandResult) -> str:
    best = result.best
    summary = best.summary
    outcome = (
        f"imported {summary['imported']}, replaced {summary['replaced']}, "
        f"duplicates {summary['duplicates']}, quarantined {len(summary['quarantined'])}"
    )
    n = result.files
    return "\n".join(
        [
            f"== whole command: {n} files ({_mix_text(fileset.samples)}); {fileset.note}",
            f"   pydicom, every element ({result.elements:,} elements): {result.pydicom_s:.2f} s "
            f"({n / result.pydicom_s:,.1f} files/s), CPU {result.pydicom_cpu_s:.2f} s",
            f"   kerma import (best of {len(result.runs)}: "
            + ", ".join(f"{run.wall_s:.2f}" for run in result.runs)
            + f" s): {best.wall_s:.2f} s ({n / best.wall_s:,.1f} files/s), CPU {best.cpu_s:.2f} s "
            f"with its parse workers; {outcome}",
            f"   kerma import of an empty folder (start-up): {result.noop.wall_s:.2f} s, "
            f"CPU {result.noop.cpu_s:.2f} s; "
            + ("with" if result.bytecode_cache else "without")
            + " a bytecode cache",
            f"   peak memory of kerma import: {best.peak_rss_mb:.0f} MB (importing process), "
            f"{best.peak_rss_all_mb:.0f} MB with its parse workers",
            f"   pydicom ÷ kerma import: {result.ratio:.1f} × (wall), "
            f"{result.cpu_ratio:.1f} × (CPU)",
        ]
    )


def command_json(result: CommandResult) -> dict[str, object]:
    best = result.best
    return {
        "files": result.files,
        "pydicom_every_element_s": round(result.pydicom_s, 3),
        "pydicom_every_element_cpu_s": round(result.pydicom_cpu_s, 3),
        "elements": result.elements,
        "kerma_import_runs_s": [round(run.wall_s, 3) for run in result.runs],
        "kerma_import_s": round(best.wall_s, 3),
        "kerma_import_cpu_s": round(best.cpu_s, 3),
        "kerma_import_empty_s": round(result.noop.wall_s, 3),
        "kerma_import_empty_cpu_s": round(result.noop.cpu_s, 3),
        "bytecode_cache": result.bytecode_cache,
        "peak_rss_mb": round(best.peak_rss_mb, 1),
        "peak_rss_with_workers_mb": round(best.peak_rss_all_mb, 1),
        "summary": {k: v for k, v in best.summary.items() if k != "quarantined"}
        | {"quarantined": len(best.summary["quarantined"])},
        "ratio_wall": round(result.ratio, 2),
        "ratio_cpu": round(result.cpu_ratio, 2),
    }


# --- output -----------------------------------------------------------------------------------


def cpu_name() -> str:
    """Return the processor's model name (from /proc/cpuinfo when there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def machine_info() -> dict[str, object]:
    cpu = cpu_name()
    import django

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pydicom": pydicom.__version__,
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:,.1f}"  # NaN → "-"


def table(fileset: FileSet, results: dict[str, Result]) -> str:
    ct_files = sum(1 for s in fileset.samples if s.is_ct)
    lines = [
        f"== {fileset.name}: {len(fileset.samples)} files ({_mix_text(fileset.samples)}); "
        f"{fileset.note}",
    ]
    lines += [f"   excluded: {name}" for name in fileset.excluded]
    header = (
        f"   {'measure':<28} {'passes':>6} {'best s':>8} {'reports/s':>10} "
        f"{'ms/report':>10} {'CT/s':>9} {'x (a)':>7} {'x (b)':>7}"
    )
    lines += [header, "   " + "-" * (len(header) - 3)]
    base_a, base_b = results.get("a"), results.get("b")
    for key, result in results.items():
        ratio_a = result.rate / base_a.rate if base_a else float("nan")
        ratio_b = result.rate / base_b.rate if base_b else float("nan")
        lines.append(
            f"   ({key}) {MEASURES[key]:<24} {result.passes:>6} {result.best_s:>8.3f} "
            f"{_fmt(result.rate):>10} {1000 * result.best_s / result.files:>10.2f} "
            f"{_fmt(result.ct_rate) if ct_files else '-':>9} {ratio_a:>7.2f} {ratio_b:>7.2f}"
        )
    if len({s.kind for s in fileset.samples}) > 1:
        lines.append("   reports/s by kind of file:")
        for key, result in results.items():
            by_kind = ", ".join(
                f"{kind} {_fmt(result.kind_rate(kind))}" for kind in sorted(result.kind_files)
            )
            lines.append(f"   ({key}) {by_kind}")
    for key, result in results.items():
        if result.note:
            lines.append(f"   ({key}) {result.note}")
    for key, result in results.items():
        for name, reason in sorted(result.failures.items())[:10]:
            lines.append(f"   ! ({key}) {name}: {reason}")
        if len(result.failures) > 10:
            lines.append(f"   ! ({key}) … {len(result.failures) - 10} more failures")
    if "d" in results:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(results["d"].outcomes.items()))
        lines.append(f"   (d) outcomes of the last pass: {outcome}")
    return "\n".join(lines)


def targets(sets: dict[str, dict[str, Result]]) -> list[dict[str, object]]:
    checks = []
    for name, results in sets.items():
        if "d" in results and results["d"].ct_files:
            value = results["d"].ct_rate
            checks.append(
                {
                    "check": f"{name}: (d) CT reports/s >= {CT_TARGET_PER_S:g}",
                    "value": round(value, 1),
                    "met": value >= CT_TARGET_PER_S,
                }
            )
    shared = sets.get("shared", {})
    if "d" in shared and "b" in shared:
        value = shared["d"].rate / shared["b"].rate
        checks.append(
            {
                "check": f"shared: (d)/(b) reports/s >= {RATIO_TARGET:g}",
                "value": round(value, 2),
                "met": value >= RATIO_TARGET,
            }
        )
    return checks


def as_json(
    info: dict[str, object],
    args: argparse.Namespace,
    filesets: list[FileSet],
    sets: dict[str, dict[str, Result]],
) -> dict[str, object]:
    out_sets = []
    for fileset in filesets:
        results = sets[fileset.name]
        base_b = results.get("b")
        out_sets.append(
            {
                "name": fileset.name,
                "note": fileset.note,
                "files": len(fileset.samples),
                "ct_files": sum(1 for s in fileset.samples if s.is_ct),
                "mix": _mix_text(fileset.samples),
                "excluded": fileset.excluded,
                "measures": {
                    key: {
                        "label": MEASURES[key],
                        "passes": r.passes,
                        "best_s": round(r.best_s, 6),
                        "reports_per_s": round(r.rate, 2),
                        "ct_reports_per_s": round(r.ct_rate, 2) if r.ct_files else None,
                        "per_kind": {
                            kind: {
                                "files": count,
                                "best_s": round(r.kind_best_s[kind], 6),
                                "reports_per_s": round(r.kind_rate(kind), 2),
                            }
                            for kind, count in r.kind_files.items()
                        },
                        "ratio_to_b": round(r.rate / base_b.rate, 3) if base_b else None,
                        "files": r.files,
                        "note": r.note,
                        "failures": r.failures,
                        "outcomes": r.outcomes,
                    }
                    for key, r in results.items()
                },
            }
        )
    return {
        "machine": info,
        "options": {
            "generated": args.generated,
            "repeat": args.repeat,
            "budget": args.budget,
            "naive_max": args.naive_max,
            "seed": args.seed,
            "copies": args.copies,
            "command_repeat": args.command_repeat,
            "bytecode_cache": not args.no_bytecode_cache,
        },
        "sets": out_sets,
        "targets": targets(sets),
    }


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--generated",
        type=int,
        default=2000,
        metavar="N",
        help="number of generated reports (0: none; default 2000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="R",
        help="passes per measure, the best kept (default 3)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=20.0,
        metavar="S",
        help="run a further pass only if the measure stays within S seconds (default 20)",
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        metavar="DIR",
        help=f"vendor files (default {DEFAULT_SHARED}; skipped if absent)",
    )
    parser.add_argument(
        "--naive-max",
        type=int,
        default=200,
        metavar="M",
        help="run the slow naive measure (b) on at most M files of a larger set, evenly spread "
        "(every k-th file; 0: all files; default 200)",
    )
    parser.add_argument("--measures", default="abcd", help="which measures (default abcd)")
    parser.add_argument(
        "--copies",
        type=int,
        default=20,
        metavar="K",
        help="whole command: `kerma import` of K copies of the shared files with new UIDs "
        "against pydicom reading every element of them (0: skip; default 20)",
    )
    parser.add_argument(
        "--command-repeat",
        type=int,
        default=2,
        metavar="R",
        help="whole command: runs of `kerma import`, each in a new home, the best kept "
        "(default 2)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="whole command: run `kerma import` without a bytecode cache (as this environment "
        "runs it: every process compiles what it imports)",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated set")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="also write the figures as JSON to PATH ('-' or nothing: stdout, "
        "the table then goes to stderr)",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(MEASURES),
        help="after the timings, profile one more pass of this measure on each set (cProfile)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if set(args.measures) - set(MEASURES):
        parser.error(f"--measures takes letters among {''.join(MEASURES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = sys.stderr if args.json == "-" else sys.stdout
    root = Path(tempfile.mkdtemp(prefix="kerma-bench-"))
    # KERMA_HOME must point at the temporary folder before anything imports Django settings.
    os.environ["KERMA_HOME"] = str(root / "template")
    try:
        info = machine_info()
        print(
            f"Kerma ingest benchmark, {info['date']}\n"
            f"{info['cpu']} x {info['cpu_count']}, {info['platform']}\n"
            f"Python {info['python']}, pydicom {info['pydicom']}, Django {info['django']}, "
            f"SQLite {info['sqlite']}; load average {info['load_average']}; "
            f"temporary files in {root}",
            file=out,
        )
        filesets: list[FileSet] = []
        if args.shared.is_dir() and (shared := shared_set(args.shared)) is not None:
            filesets.append(shared)
        else:
            print(f"(no shared files in {args.shared}: that set is skipped)", file=out)
        if args.generated > 0:
            start = time.perf_counter()
            generated = generate_set(args.generated, root / "generated", args.shared, args.seed)
            generated.note += f" (written in {time.perf_counter() - start:.1f} s)"
            filesets.append(generated)
        store = KermaStore(root / "store") if "d" in args.measures else None
        sets: dict[str, dict[str, Result]] = {}
        for fileset in filesets:
            results = {}
            for key in sorted(args.measures):
                samples, note = fileset.samples, ""
                if key == "b" and 0 < args.naive_max < len(samples):
                    step = -(-len(samples) // args.naive_max)
                    samples = samples[::step]
                    note = f"on 1 file in {step}: {len(samples)} of {len(fileset.samples)}"
                results[key] = measure(key, samples, args.repeat, args.budget, store)
                results[key].note = note
            sets[fileset.name] = results
            print("\n" + table(fileset, results), file=out, flush=True)
            if args.profile:
                print(profile(args.profile, fileset, store), file=out, flush=True)
        command = None
        shared_files = next((f for f in filesets if f.name == "shared"), None)
        if args.copies > 0 and shared_files is not None:
            copies = copies_set(shared_files, args.copies, root / "copies", args.seed)
            command = measure_command(
                copies, root, args.command_repeat, not args.no_bytecode_cache
            )
            print("\n" + command_table(copies, command), file=out, flush=True)
        info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        print(f"\nload average at the end: {info['load_average_end']}", file=out)
        checks = targets(sets)
        if command is not None:
            checks.append(
                {
                    "check": "whole command: pydicom every element ÷ kerma import (wall) >= "
                    f"{COMMAND_RATIO_TARGET:g}",
                    "value": round(command.ratio, 2),
                    "met": command.ratio >= COMMAND_RATIO_TARGET,
                }
            )
        if checks:
            print("\nTargets:", file=out)
            for check in checks:
                verdict = "met" if check["met"] else "NOT MET"
                print(f"   {check['check']}: {check['value']} → {verdict}", file=out)
        if store is not None:
            store.close()
        if args.json:
            figures = as_json(info, args, filesets, sets)
            figures["targets"] = checks
            if command is not None:
                figures["whole_command"] = command_json(command)
            text = json.dumps(figures, indent=2, ensure_ascii=False)
            if args.json == "-":
                print(text)
            else:
                Path(args.json).write_text(text + "\n", encoding="utf-8")
    finally:
        if args.keep:
            print(f"kept {root}", file=out)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
