"""Back-filling history from a real PACS: Orthanc loaded with dose reports, then C-FIND and
C-GET / C-MOVE with :mod:`kerma.dicom.retrieve`.

Orthanc (Debian package ``orthanc``) runs on loopback ports with its own temporary config; the
tests are skipped when it is not installed. A small pynetdicom storage SCP plays Kerma's node as
C-MOVE destination; small pynetdicom SCPs also play a PACS that refuses associations and one
that does not answer in time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)
from tests.conftest import SHARED_RDSR
from tests.orthanc import NOT_INSTALLED, Orthanc, free_port, orthanc_binary, start_orthanc

from kerma.dicom import write as w
from kerma.dicom.reader import read_dose_object
from kerma.dicom.retrieve import (
    DOSE_REPORT_SOP_CLASSES,
    MAX_PRESENTATION_CONTEXTS,
    Peer,
    RetrieveState,
    RetrieveSummary,
    _request_contexts,
    echo,
    parse_peer,
    retrieve_history,
)
from kerma.dose import DoseObjectError

needs_orthanc = pytest.mark.skipif(orthanc_binary() is None, reason=NOT_INSTALLED)

NODE_AET = "KERMA_NODE"
BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
PATIENT = w.Patient("RET001", "DUPONT^Jeanne", date(1960, 5, 3), "F", 63.8, 64.5, 1.63)
CT = w.Device("SIEMENS", "SOMATOM go.Top", "123", "SCANNER2", "1.2.826.0.1.3680043.8.498.1", "CH")
CARDIO = w.Device("Philips", "Azurion 7", "SN-7", "CARDIO1", "1.2.826.0.1.3680043.8.498.2", "CH")
GAMMA = w.Device("GE", "Discovery NM630", "NM-1", "GAMMA1", "1.2.826.0.1.3680043.8.498.3", "CH")
DX = w.Device("Carestream", "DRX Evolution", "DX-1", "RADIO1", "1.2.826.0.1.3680043.8.498.4", "CH")


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
@dataclass
class Loaded:
    """What the PACS holds: per study, the SOP Instance UIDs a back-fill must bring."""

    expected: dict[str, set[str]] = field(default_factory=dict)  # study → instances, in range
    out_of_range: set[str] = field(default_factory=set)
    not_wanted: set[str] = field(default_factory=set)  # in range, never to be fetched
    by_modality: dict[str, set[str]] = field(default_factory=dict)  # CT filter → instances

    @property
    def all_expected(self) -> set[str]:
        return set().union(*self.expected.values())


def _sop(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def _acq(start: datetime, ctdi: float = 12.0) -> w.CtAcquisition:
    return w.CtAcquisition("THORAX", "chest", "spiral", start, ctdi, ctdi * 30, kvp=120.0)


def _study(day: date, accession: str, description: str) -> w.Study:
    return w.Study(
        generate_uid(), accession, description, datetime.combine(day, datetime.min.time())
    )


def write_text_sr(path: Path, study: w.Study) -> Path:
    """A Basic Text SR (a radiology report): an SR that is not a dose report."""
    ds = Dataset()
    ds.SOPClassUID = BASIC_TEXT_SR
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = study.study_instance_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "SR"
    ds.StudyDate = study.start.strftime("%Y%m%d")
    ds.StudyTime = "100000"
    ds.AccessionNumber = study.accession_number
    ds.PatientName = PATIENT.name
    ds.PatientID = PATIENT.patient_id
    ds.SeriesNumber = 50
    ds.InstanceNumber = 1
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    title = Dataset()
    title.CodeValue, title.CodingSchemeDesignator = "18748-4", "LN"
    title.CodeMeaning = "Diagnostic imaging report"
    ds.ConceptNameCodeSequence = DicomSequence([title])
    text = Dataset()
    text.RelationshipType, text.ValueType = "CONTAINS", "TEXT"
    text.ConceptNameCodeSequence = DicomSequence([title])
    text.TextValue = "No abnormality."
    ds.ContentSequence = DicomSequence([text])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    return path


def load_generated(pacs: Orthanc, folder: Path) -> Loaded:
    """Write the studies of March 2024 (and two outside it) and store them in the PACS."""
    folder.mkdir()
    loaded = Loaded()
    files: list[Path] = []

    def keep(path: Path) -> str:
        files.append(path)
        return _sop(path)

    # A: CT report + CT images → only the report
    a = _study(date(2024, 3, 4), "A1", "TAP")
    rdsr_a = keep(w.write_ct_rdsr(folder / "a.dcm", PATIENT, CT, a, [_acq(a.start)]))
    series = generate_uid()
    for n in (1, 2):
        keep(
            w.write_ct_image(
                folder / f"a{n}.dcm",
                PATIENT,
                CT,
                a,
                _acq(a.start),
                series_instance_uid=series,
                instance_number=n,
            )
        )
    loaded.expected[a.study_instance_uid] = {rdsr_a}
    # B: fluoroscopy report
    b = _study(date(2024, 3, 10), "B1", "CORONAROGRAPHIE")
    event = w.ProjectionEvent(
        "fluoroscopy", b.start, 0.002, kar_mgy=20.0, irradiation_duration_s=30.0
    )
    loaded.expected[b.study_instance_uid] = {
        keep(w.write_projection_rdsr(folder / "b.dcm", PATIENT, CARDIO, b, [event]))
    }
    # C: radiopharmaceutical report
    c = _study(date(2024, 3, 15), "C1", "SCINTIGRAPHIE OSSEUSE")
    adm = w.Administration("Tc-99m", "Technetium Tc99m medronate", 550.0, c.start)
    loaded.expected[c.study_instance_uid] = {
        keep(w.write_radiopharmaceutical_rdsr(folder / "c.dcm", PATIENT, GAMMA, c, adm))
    }
    # D: no dose report: two CT series, one DX series and a text report (not a dose report)
    d = _study(date(2024, 3, 12), "D1", "TDM + RADIO")
    firsts = set()
    for name, numbers in (("d1", (3, 1, 2)), ("d2", (5, 4))):
        series = generate_uid()
        for n in numbers:
            sop = keep(
                w.write_ct_image(
                    folder / f"{name}-{n}.dcm",
                    PATIENT,
                    CT,
                    d,
                    _acq(d.start),
                    series_instance_uid=series,
                    instance_number=n,
                )
            )
            if n == min(numbers):
                firsts.add(sop)
    ct_firsts = set(firsts)
    dx_event = w.ProjectionEvent("stationary", d.start, 0.01, kvp=70.0, exposure_time_ms=20.0)
    firsts.add(keep(w.write_dx_image(folder / "d-dx.dcm", PATIENT, DX, d, dx_event)))
    loaded.not_wanted.add(keep(write_text_sr(folder / "d-text.dcm", d)))
    loaded.expected[d.study_instance_uid] = firsts
    # E: CT report in Enhanced SR (GE style), next to a text report
    e = _study(date(2024, 3, 13), "E1", "CRANE")
    esr = keep(
        w.write_ct_rdsr(
            folder / "e.dcm", PATIENT, CT, e, [_acq(e.start, 40.0)], quirks={"enhanced_sr_carrier"}
        )
    )
    loaded.not_wanted.add(keep(write_text_sr(folder / "e-text.dcm", e)))
    loaded.expected[e.study_instance_uid] = {esr}
    # F, G: outside the range
    for name, day in (("f", date(2024, 2, 29)), ("g", date(2024, 4, 1))):
        s = _study(day, name.upper(), "HORS PERIODE")
        loaded.out_of_range.add(
            keep(w.write_ct_rdsr(folder / f"{name}.dcm", PATIENT, CT, s, [_acq(s.start)]))
        )
    loaded.by_modality["CT"] = {rdsr_a, *ct_firsts}  # E holds only SR series
    for path in files:
        pacs.upload(path)
    return loaded


# --------------------------------------------------------------------------------------------
# fixtures: Orthanc, Kerma's node (C-MOVE destination)
# --------------------------------------------------------------------------------------------
@dataclass
class Node:
    """A pynetdicom storage SCP standing for Kerma's node."""

    aet: str
    port: int
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_store(self, event: evt.Event) -> int:
        with self.lock:
            self.received.append(event.encoded_dataset())
        return 0x0000


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    port = free_port()
    target = Node(NODE_AET, port)
    ae = AE(ae_title=NODE_AET)
    ae.supported_contexts = AllStoragePresentationContexts
    ae.add_supported_context(Verification)
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, target.on_store)]
    )
    yield target
    server.shutdown()


@pytest.fixture(scope="module")
def pacs(tmp_path_factory, node: Node) -> Iterator[Orthanc]:
    if orthanc_binary() is None:
        pytest.skip(NOT_INSTALLED)
    server = start_orthanc(
        tmp_path_factory.mktemp("orthanc"),
        modalities={"kerma": (node.aet, "127.0.0.1", node.port)},
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def loaded(pacs: Orthanc, tmp_path_factory) -> Loaded:
    return load_generated(pacs, tmp_path_factory.mktemp("generated") / "files")


def peer_of(pacs: Orthanc) -> Peer:
    return Peer(pacs.aet, pacs.host, pacs.port)


class Collector:
    """A `deliver` callback that keeps what it receives."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        self.objects.append(data)

    def sop_uids(self) -> list[str]:
        return [str(pydicom.dcmread(_bytes_file(b)).SOPInstanceUID) for b in self.objects]


def _bytes_file(data: bytes) -> BytesIO:
    return BytesIO(data)


MARCH = {"since": date(2024, 3, 1), "until": date(2024, 3, 31)}


# --------------------------------------------------------------------------------------------
# pure parts
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "peer"),
    [
        ("PACS@10.0.0.5:104", Peer("PACS", "10.0.0.5", 104)),
        ("ORTHANC@pacs.chu.local:4242", Peer("ORTHANC", "pacs.chu.local", 4242)),
        ("AE@[::1]:11112", Peer("AE", "::1", 11112)),
        ("  MY PACS@host:1  ", Peer("MY PACS", "host", 1)),
    ],
)
def test_parse_peer_reads_aet_host_and_port(text, peer):
    assert parse_peer(text) == peer


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PACS10.0.0.5:104", "no '@'"),
        ("PACS@10.0.0.5", "no ':PORT'"),
        ("@host:104", "empty AE title"),
        ("PACS@:104", "empty host"),
        ("PACS@host:abc", "not a number"),
        ("PACS@host:70000", "not within 1-65535"),
        ("A_TITLE_LONGER_THAN_16@host:104", "longer than 16"),
    ],
)
def test_parse_peer_refuses_malformed_text_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        parse_peer(text)


def test_get_association_proposes_at_most_128_contexts_with_the_scp_role():
    contexts, roles = _request_contexts("get")
    assert len(contexts) == MAX_PRESENTATION_CONTEXTS
    proposed = {cx.abstract_syntax for cx in contexts}
    assert set(DOSE_REPORT_SOP_CLASSES) <= proposed
    assert {role.sop_class_uid for role in roles} == proposed - {
        StudyRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelGet,
    }
    assert all(role.scp_role and not role.scu_role for role in roles)


def test_state_survives_reload_and_forgets_objects_of_a_done_study(tmp_path):
    path = tmp_path / "sub" / "state.json"
    state = RetrieveState(path)
    state.mark_done("1.2.3/4.5/6.7")
    state.mark_done("1.2.9/4.6")
    state.save()
    again = RetrieveState(path)
    assert again.is_done("1.2.3/4.5/6.7") and again.is_done("1.2.9/4.6")
    assert not again.is_done("1.2.3") and not again.is_done("1.2.3/4.5/6.8")
    again.mark_done("1.2.3")
    again.save()
    data = json.loads(path.read_text())
    assert data["done"] == ["1.2.3", "1.2.9/4.6"]
    assert RetrieveState(path).is_done("1.2.3/4.5/anything")
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary left


def test_a_corrupted_state_file_is_a_clear_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable retrieve state file"):
        RetrieveState(path)


def test_unreachable_peer_is_a_failure_not_a_crash(tmp_path):
    peer = Peer("NOBODY", "127.0.0.1", free_port())
    assert echo(peer, timeout=2) is False
    started = time.monotonic()
    summary = retrieve_history(
        peer,
        since=date(2024, 1, 1),
        deliver=lambda b: None,
        state=RetrieveState(tmp_path / "s.json"),
        timeout=2,
    )
    assert time.monotonic() - started < 5
    assert summary.studies_found == 0 and not summary.ok
    assert len(summary.failures) == 1
    assert "could not connect to NOBODY@127.0.0.1" in summary.failures[0]


def test_refused_association_is_reported_with_its_reason(tmp_path):
    ae = AE(ae_title="PICKY")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context(Verification)
    ae.require_calling_aet = ["SOMEONE_ELSE"]
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False)
    try:
        peer = Peer("PICKY", "127.0.0.1", port)
        assert echo(peer) is False
        summary = retrieve_history(
            peer,
            since=date(2024, 1, 1),
            until=date(2024, 1, 2),
            deliver=lambda b: None,
            state=RetrieveState(tmp_path / "s.json"),
        )
    finally:
        server.shutdown()
    assert summary.failures == [
        "association refused by PICKY@127.0.0.1:"
        + str(port)
        + ": Rejected Permanent, source Service User: Calling AE title not recognised"
    ]


def test_a_peer_that_does_not_answer_in_time_fails_that_study_only(tmp_path):
    study_uid = generate_uid()

    def on_find(event):
        level = event.identifier.QueryRetrieveLevel
        if level == "STUDY":
            match = Dataset()
            match.QueryRetrieveLevel = "STUDY"
            match.StudyInstanceUID = study_uid
            match.StudyDate = "20240105"
            match.ModalitiesInStudy = ["CT", "SR"]
            yield 0xFF00, match
            return
        time.sleep(1.5)  # series level: longer than the timeout
        yield 0x0000, None

    ae = AE(ae_title="SLOW")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
    port = free_port()
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_FIND, on_find)]
    )
    try:
        summary = retrieve_history(
            Peer("SLOW", "127.0.0.1", port),
            since=date(2024, 1, 1),
            until=date(2024, 1, 10),
            deliver=lambda b: None,
            state=RetrieveState(tmp_path / "s.json"),
            timeout=0.5,
        )
    finally:
        server.shutdown()
    assert summary.studies_found == 1 and summary.studies_done == 0
    assert len(summary.failures) == 1
    assert study_uid in summary.failures[0]
    assert "no response (timeout" in summary.failures[0]


def test_invalid_arguments_are_refused_before_any_network_traffic(tmp_path):
    state = RetrieveState(tmp_path / "s.json")
    peer = Peer("PACS", "127.0.0.1", 1)
    with pytest.raises(ValueError, match="after until"):
        retrieve_history(
            peer,
            since=date(2024, 2, 1),
            until=date(2024, 1, 1),
            deliver=lambda b: None,
            state=state,
        )
    with pytest.raises(ValueError, match="move_destination"):
        retrieve_history(
            peer, since=date(2024, 1, 1), deliver=lambda b: None, state=state, method="move"
        )
    with pytest.raises(ValueError, match="invalid modality"):
        retrieve_history(
            peer, since=date(2024, 1, 1), deliver=lambda b: None, state=state, modalities=["C\\T"]
        )


# --------------------------------------------------------------------------------------------
# against Orthanc
# --------------------------------------------------------------------------------------------
@needs_orthanc
def test_echo_orthanc(pacs):
    assert echo(peer_of(pacs)) is True


@needs_orthanc
def test_get_brings_the_dose_reports_in_range_and_first_images_of_a_study_without(
    pacs, loaded, tmp_path
):
    got = Collector()
    steps: list[tuple[int, int]] = []
    state = RetrieveState(tmp_path / "state.json")
    summary = retrieve_history(
        peer_of(pacs), **MARCH, deliver=got, state=state, progress=lambda *s: steps.append(s)
    )
    assert summary.failures == []
    received = got.sop_uids()
    assert sorted(received) == sorted(loaded.all_expected)  # each exactly once
    assert not set(received) & (loaded.not_wanted | loaded.out_of_range)
    assert summary == RetrieveSummary(
        studies_found=5,
        studies_done=5,
        series_selected=7,
        objects_received=7,
        skipped_already_done=0,
        failures=[],
    )
    assert steps[0] == (0, 5) and steps[-1] == (5, 5) and len(steps) == 6
    for data in got.objects:
        assert data[128:132] == b"DICM"  # Part 10, with file meta
        report = read_dose_object(data)
        assert report.study_uid in loaded.expected

    # A second run with the same state file fetches nothing.
    again = Collector()
    second = retrieve_history(
        peer_of(pacs), **MARCH, deliver=again, state=RetrieveState(tmp_path / "state.json")
    )
    assert again.objects == []
    assert second == RetrieveSummary(studies_found=5, skipped_already_done=5)


@needs_orthanc
def test_modality_filter_keeps_the_studies_and_image_series_of_that_modality(
    pacs, loaded, tmp_path
):
    got = Collector()
    summary = retrieve_history(
        peer_of(pacs),
        **MARCH,
        modalities=["ct"],
        deliver=got,
        state=RetrieveState(tmp_path / "state.json"),
    )
    assert summary.failures == []
    # A and D; E holds only SR series (Modalities in Study = SR), so a CT filter misses it.
    assert summary.studies_found == 2
    assert sorted(got.sop_uids()) == sorted(loaded.by_modality["CT"])  # no DX image from D


@needs_orthanc
def test_failed_delivery_is_reported_and_retried_on_the_next_run(pacs, loaded, tmp_path):
    refused: list[str] = []

    def flaky(data: bytes) -> None:
        ds = pydicom.dcmread(_bytes_file(data), stop_before_pixels=True)
        if ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.68" and not refused:
            refused.append(str(ds.SOPInstanceUID))
            raise OSError("disk full")

    state_path = tmp_path / "state.json"
    summary = retrieve_history(
        peer_of(pacs), **MARCH, deliver=flaky, state=RetrieveState(state_path)
    )
    assert summary.studies_done == 4 and summary.objects_received == 6
    [failure] = summary.failures
    nm_study = next(s for s, uids in loaded.expected.items() if refused[0] in uids)
    # Orthanc answers 0xA702 when every sub-operation failed (0xB000 when only some did).
    assert failure.startswith(f"study {nm_study}: report {refused[0]}: C-GET status 0xA702")
    assert "0 completed, 1 failed sub-operations" in failure
    assert "delivery of" in failure and "OSError: disk full" in failure

    got = Collector()
    retry = retrieve_history(peer_of(pacs), **MARCH, deliver=got, state=RetrieveState(state_path))
    assert got.sop_uids() == refused
    assert retry == RetrieveSummary(
        studies_found=5,
        studies_done=1,
        series_selected=1,
        objects_received=1,
        skipped_already_done=4,
    )


@needs_orthanc
def test_move_sends_the_same_objects_to_the_destination_node(pacs, loaded, node, tmp_path):
    node.received.clear()
    delivered: list[bytes] = []
    summary = retrieve_history(
        peer_of(pacs),
        **MARCH,
        deliver=delivered.append,
        state=RetrieveState(tmp_path / "state.json"),
        method="move",
        move_destination=node.aet,
    )
    assert summary.failures == []
    assert delivered == []  # C-MOVE: the node receives, not the callback
    assert summary.objects_received == len(loaded.all_expected)
    uids = [str(read_dose_object(data).sop_instance_uid) for data in node.received]
    assert sorted(uids) == sorted(loaded.all_expected)


@needs_orthanc
def test_move_to_an_unknown_destination_fails_per_object(pacs, loaded, tmp_path):
    summary = retrieve_history(
        peer_of(pacs),
        since=date(2024, 3, 10),
        until=date(2024, 3, 10),
        deliver=lambda b: None,
        state=RetrieveState(tmp_path / "state.json"),
        method="move",
        move_destination="UNKNOWN",
    )
    assert summary.studies_found == 1 and summary.studies_done == 0
    [failure] = summary.failures
    # Orthanc answers 0xC000 "Unable to process", not 0xA801 "Move destination unknown".
    assert " report " in failure and ": C-MOVE status 0x" in failure


VENDOR_FILES = [
    "CT-RDSR-Siemens-Multi-1.dcm",  # three reports of one study
    "CT-RDSR-Siemens-Multi-2.dcm",
    "CT-RDSR-Siemens-Multi-3.dcm",
    "CT-ESR-GE_VCT.dcm",  # CT dose report in Enhanced SR
    "RF-RDSR-Siemens-Zee.dcm",
    "MG-RDSR-Hologic_2D.dcm",
    "DX-Im-GE_XR220-1.dcm",  # a radiography study without report: 3 images in one series
    "DX-Im-GE_XR220-2.dcm",
    "DX-Im-GE_XR220-3.dcm",
    "CT-SC-Philips_Brilliance16P.dcm",  # a dose screen (secondary capture) in a CT series
]


@needs_orthanc
@pytest.mark.skipif(not SHARED_RDSR.is_dir(), reason="../shared/rdsr is not present")
def test_vendor_files_come_back_from_the_pacs(pacs, tmp_path):
    paths = [SHARED_RDSR / name for name in VENDOR_FILES]
    headers = {p.name: pydicom.dcmread(p, stop_before_pixels=True) for p in paths}
    for path in paths:
        pacs.upload(path)
    dates = [datetime.strptime(h.StudyDate, "%Y%m%d").date() for h in headers.values()]
    got = Collector()
    summary = retrieve_history(
        peer_of(pacs),
        since=min(dates),
        until=max(dates) + timedelta(days=1),
        deliver=got,
        state=RetrieveState(tmp_path / "state.json"),
    )
    assert summary.failures == []
    expected = {h.SOPInstanceUID for n, h in headers.items() if not n.startswith("DX-Im-GE")}
    expected.add(headers["DX-Im-GE_XR220-1.dcm"].SOPInstanceUID)  # Instance Number 1
    assert sorted(got.sop_uids()) == sorted(expected)
    for data in got.objects:
        assert read_dose_object(data).study_uid


@needs_orthanc
@pytest.mark.skipif(not SHARED_RDSR.is_dir(), reason="../shared/rdsr is not present")
def test_an_enhanced_sr_that_is_not_a_dose_report_is_fetched_then_refused_by_the_reader(
    pacs, tmp_path
):
    """Enhanced / Comprehensive SR may or may not hold dose: only the content tells, so the
    back-fill fetches them and the reader refuses what is not a dose report."""
    path = SHARED_RDSR / "ESR_non-dose.dcm"
    header = pydicom.dcmread(path, stop_before_pixels=True)
    pacs.upload(path)
    day = datetime.strptime(header.StudyDate, "%Y%m%d").date()
    got = Collector()
    retrieve_history(
        peer_of(pacs),
        since=day,
        until=day,
        deliver=got,
        state=RetrieveState(tmp_path / "state.json"),
    )
    assert got.sop_uids() == [header.SOPInstanceUID]
    with pytest.raises(DoseObjectError):
        read_dose_object(got.objects[0])
