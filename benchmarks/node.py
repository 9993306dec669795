#!/usr/bin/env python
"""Throughput of Kerma's DICOM node over loopback, next to ``kerma import``, in one run on the
same reports.

Three measures on one set of ``--reports N`` dose reports written with ``kerma.dicom.write``:

  (1) one association: one pynetdicom SCU sends the N reports to a real ``kerma dicom listen``
      process (its own temporary KERMA_HOME, SQLite) over 127.0.0.1;
  (8) eight simultaneous associations (``--associations K``): eight SCUs, in threads, send N/8
      reports each to a new node (new home);
  (f) file import: ``kerma import FOLDER`` on the same files, in a new home.

For (1) and (8) two rates: reports/s *received* (every C-STORE acknowledged: the report is in
the node's inbox, fsync'd) and reports/s *received and imported* (the node's status file says
the inbox backlog is 0 and every report is counted as imported; the report table is checked
afterwards). For (f), the time of the ``kerma import`` process minus the median time of a
no-op ``kerma import EMPTY_FOLDER`` in an already migrated home.

The SCUs send each file's bytes as they are (no decoding, no re-encoding) with Nagle's
algorithm off (TCP_NODELAY); ``--nagle`` adds (1n) and (8n), the same with the sockets as
pynetdicom makes them. ``--single-worker`` adds (f1), ``kerma import`` parsing in its own
process. Every measure runs ``--repeat`` times (default 2), each on a new node and home, and
the best is kept. ``--profile`` then runs (8) once more with the node under cProfile.

Run: ``.venv/bin/python benchmarks/node.py [--reports N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pynetdicom import AE, transport
from pynetdicom import _config as pynetdicom_config

from ingest import Sample, _ct_acquisitions, _dx_events, _mix_text, _uid, machine_info

KERMA = [sys.executable, "-m", "kerma.cli"]
VERIFICATION = "1.2.840.10008.1.1"
CALLED_AET = "KERMA"

# Mostly CT dose reports, some radiography, a few fluoroscopy and interventional procedures.
_MIX = (("CT", 0.70), ("DX", 0.18), ("RF", 0.07), ("XA", 0.05))
_CONTINUED_CT = 0.05  # share of CT reports that continue the previous CT study (new events)
_EVENTS = {"RF": (20, 60), "XA": (30, 100)}  # irradiation events per fluoroscopy report


def _scu_socket(self: transport.AssociationSocket, address: object) -> socket.socket:
    """pynetdicom's SCU socket, with Nagle's algorithm off unless the SCU asks for it (a
    thread-local flag): pynetdicom writes a C-STORE's command and data set separately, and with
    Nagle on the second write waits for the receiver's delayed acknowledgement (~40 ms)."""
    sock = _create_socket(self, address)
    if not getattr(_SCU, "nagle", False):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


_SCU = threading.local()
_create_socket = transport.AssociationSocket._create_socket
transport.AssociationSocket._create_socket = _scu_socket

# Start the node with a profiler in every thread (cProfile follows only the thread that
# enables it), timing CPU time per thread (not wall time, which would count the waits for the
# GIL and the sleeps of pynetdicom's polling loops): the merged statistics are written on
# SIGINT to the path given as argv[1].
_PROFILED_NODE = """
import cProfile, pstats, sys, threading, time
out = sys.argv.pop(1)
profiles = [cProfile.Profile(time.thread_time)]
def _hook(frame, event, arg):
    profile = cProfile.Profile(time.thread_time)
    profiles.append(profile)
    profile.enable()
threading.setprofile(_hook)
profiles[0].enable()
try:
    from kerma.cli import app
    app(prog_name="kerma")
finally:
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.dump_stats(out)
"""


# --- the reports ------------------------------------------------------------------------------


def _devices(w: object) -> dict[str, list[tuple[object, frozenset[str]]]]:
    def device(kind: str, number: int, manufacturer: str, model: str) -> object:
        return w.Device(
            manufacturer=manufacturer,
            model=model,
            serial_number=f"{kind}{number:04d}",
            station_name=f"{kind}ROOM{number}",
            device_observer_uid=f"1.2.826.0.1.3680043.10.4321.{len(kind)}{number}",
            institution="Kerma General Hospital",
            department="Radiology",
        )

    return {
        "CT": [
            (device("CT", 1, "SIEMENS", "SOMATOM Force"), frozenset({"non_ucum_units"})),
            (device("CT", 2, "GE MEDICAL SYSTEMS", "Revolution"), frozenset()),
            (device("CT", 3, "Canon Medical Systems", "Aquilion ONE"), frozenset()),
        ],
        "DX": [(device("DX", 1, "CARESTREAM", "DRX-Evolution"), frozenset())],
        "RF": [(device("RF", 1, "Philips", "Allura Xper"), frozenset({"text_reference_point"}))],
        "XA": [(device("XA", 1, "Siemens", "Artis Q"), frozenset())],
    }


def _fluoro_events(w: object, rng: random.Random, start: dt.datetime, kind: str) -> list:
    """Fluoroscopy (RF, single plane) or interventional runs (XA, a third biplane), with the
    number of events of ``_EVENTS``."""
    count = rng.randint(*_EVENTS[kind])
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


def generate(n: int, folder: Path, seed: int) -> list[Sample]:
    """Write ``n`` dose reports into ``folder`` (see ``_MIX``) and return them in order."""
    from kerma.dicom import write as w

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    devices = _devices(w)
    kinds, weights = zip(*_MIX, strict=True)
    moment = dt.datetime(2025, 3, 3, 7, 30)
    previous_ct: tuple | None = None
    samples = []
    for index in range(n):
        kind = rng.choices(kinds, weights)[0]
        moment += dt.timedelta(minutes=rng.randint(2, 12))
        unit, quirks = rng.choice(devices[kind])
        age = rng.uniform(18, 90)
        patient = w.Patient(
            patient_id=f"P{rng.randrange(10**8):08d}",
            name=f"DOE^NODE{index}",
            birth_date=(moment - dt.timedelta(days=int(age * 365.25))).date(),
            sex=rng.choice("MF"),
            age_years=int(age),
            weight_kg=round(rng.uniform(45, 110), 1),
            height_m=round(rng.uniform(1.5, 1.95), 2),
        )
        study = w.Study(
            study_instance_uid=_uid(rng),
            accession_number=f"N{index:09d}",
            description=kind,
            start=moment,
        )
        path = folder / f"{index:06d}-{kind}.dcm"
        if kind == "CT":
            if previous_ct is not None and rng.random() < _CONTINUED_CT:
                patient, unit, quirks, study = previous_ct  # a continued report, new events
            events = _ct_acquisitions(w, rng, moment)
            w.write_ct_rdsr(path, patient, unit, study, events, quirks=quirks)
            previous_ct = (patient, unit, quirks, study)
        elif kind == "DX":
            events = _dx_events(w, rng, moment)
            w.write_projection_rdsr(
                path, patient, unit, study, events, kind="radiography", quirks=quirks
            )
        else:
            events = _fluoro_events(w, rng, moment, kind)
            w.write_projection_rdsr(
                path, patient, unit, study, events, kind="fluoroscopy", quirks=quirks
            )
        samples.append(Sample(path, kind))
    return samples


def contexts_of(samples: list[Sample]) -> list[tuple[str, str]]:
    """Return the (SOP class, transfer syntax) pairs of the files, as presentation contexts:
    the SCUs send each file's bytes as they are, without re-encoding."""
    pairs = set()
    for sample in samples:
        meta = pydicom.filereader.read_file_meta_info(sample.path)
        pairs.add((str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID)))
    return sorted(pairs)


# --- the node ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "KERMA_DATABASE_URL" and not k.startswith("KERMA_DICOM_")
    }
    env["KERMA_HOME"] = str(home)
    env.update(extra)
    return env


def _cpu_s(pid: int) -> float:
    """Return the CPU time (user + system, all threads) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Node:
    """A ``kerma dicom listen`` process on a free loopback port, in its own KERMA_HOME."""

    def __init__(self, home: Path, profile_to: Path | None = None) -> None:
        self.home = home
        self.port = _free_port()
        self.profile_to = profile_to
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Node:
        self.home.mkdir(parents=True)
        self.log = (self.home / "node.log").open("w")
        listen = ["dicom", "listen", "--port", str(self.port), "--host", "127.0.0.1"]
        listen += ["--aet", CALLED_AET]
        if self.profile_to is None:
            command = [*KERMA, *listen]
        else:
            command = [sys.executable, "-c", _PROFILED_NODE, str(self.profile_to), *listen]
        self.process = subprocess.Popen(
            command, env=_env(self.home), stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.status().get("listening") and self.echo():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the node did not start:\n{self.stop()}")

    def echo(self) -> bool:
        ae = AE(ae_title="BENCHPROBE")
        ae.add_requested_context(VERIFICATION)
        assoc = ae.associate("127.0.0.1", self.port, ae_title=CALLED_AET)
        if not assoc.is_established:
            return False
        status = assoc.send_c_echo()
        assoc.release()
        return bool(status) and status.Status == 0

    def status(self) -> dict:
        try:
            return json.loads((self.home / "node-status.json").read_text())
        except (OSError, ValueError):
            return {}

    def cpu_s(self) -> float:
        return _cpu_s(self.process.pid) if self.process is not None else float("nan")

    def wait_imported(self, count: int, timeout: float) -> dict:
        """Wait until the status file says the inbox is empty and ``count`` reports were
        handled (imported, replaced, duplicates or quarantined); return that status."""
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            status = self.status()
            handled = sum(status.get(k, 0) for k in ("imported", "replaced", "duplicates"))
            handled += status.get("quarantined", 0)
            if status.get("backlog") == 0 and handled >= count:
                return status
            if self.process is None or self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the inbox was not drained: {status}")

    def stop(self) -> str:
        """Stop the node (SIGINT: a clean stop, which also writes a profile) and return its
        log."""
        if self.process is None:
            return ""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.log.close()
        return (self.home / "node.log").read_text(errors="replace")


def count_reports(home: Path) -> int:
    """Return how many reports the home's database holds."""
    with sqlite3.connect(home / "kerma.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM dose_report").fetchone()[0]


# --- sending ----------------------------------------------------------------------------------


@dataclass
class Sender:
    """One SCU: one association sending its share of the reports, file bytes as they are."""

    number: int
    paths: list[Path]
    contexts: list[tuple[str, str]]
    nagle: bool = False
    acknowledged: int = 0
    failures: list[str] = field(default_factory=list)

    def run(self, port: int) -> None:
        _SCU.nagle = self.nagle
        ae = AE(ae_title=f"BENCH{self.number}")
        for sop_class, syntax in self.contexts:
            ae.add_requested_context(sop_class, syntax)
        assoc = ae.associate("127.0.0.1", port, ae_title=CALLED_AET)
        if not assoc.is_established:
            self.failures.append("association not established")
            return
        try:
            for message_id, path in enumerate(self.paths, 1):
                status = assoc.send_c_store(path, msg_id=message_id % 65536)
                if status and status.Status == 0x0000:
                    self.acknowledged += 1
                else:
                    code = f"0x{status.Status:04X}" if status else "no response"
                    self.failures.append(f"{path.name}: {code}")
                    if not assoc.is_established:
                        break
        except Exception as exc:  # noqa: BLE001 - a failure is a finding, not a crash
            self.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            if assoc.is_established:
                assoc.release()


@dataclass
class NetworkResult:
    associations: int
    nagle: bool  # the SCUs' sockets as pynetdicom makes them (Nagle's algorithm on)
    reports: int
    acknowledged: int
    received_s: float  # first association request → last acknowledgement
    imported_s: float  # first association request → inbox empty, every report imported
    node_cpu_s: float  # CPU time of the node process over that span
    client_cpu_s: float  # CPU time of this process (the SCUs) while sending
    in_database: int
    status: dict
    failures: list[str]
    runs: list[tuple[float, float]] = field(default_factory=list)  # (received_s, imported_s)

    @property
    def key(self) -> str:
        return f"{self.associations}{'n' if self.nagle else ''}"

    @property
    def label(self) -> str:
        plural = "s" if self.associations > 1 else ""
        return f"{self.associations} association{plural}{', Nagle' if self.nagle else ''}"

    @property
    def received_rate(self) -> float:
        return self.acknowledged / self.received_s

    @property
    def imported_rate(self) -> float:
        return self.in_database / self.imported_s


def measure_network(
    samples: list[Sample],
    contexts: list[tuple[str, str]],
    associations: int,
    home: Path,
    *,
    nagle: bool = False,
    profile_to: Path | None = None,
) -> NetworkResult:
    """Start a node in ``home``, send the reports over ``associations`` simultaneous
    associations (the reports dealt in turn, so each gets the same mix), wait until they are
    imported, stop the node."""
    node = Node(home, profile_to).start()
    try:
        paths = [s.path for s in samples]
        senders = [
            Sender(i + 1, paths[i::associations], contexts, nagle) for i in range(associations)
        ]
        threads = [
            threading.Thread(target=s.run, args=(node.port,), name=f"scu-{s.number}")
            for s in senders
        ]
        cpu_node, cpu_client = node.cpu_s(), time.process_time()
        start = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        received = time.time()
        cpu_client = time.process_time() - cpu_client
        acknowledged = sum(s.acknowledged for s in senders)
        status = node.wait_imported(acknowledged, timeout=60 + len(samples))
        imported = float(status["updated_epoch"])  # written right after the last commit
        cpu_node = node.cpu_s() - cpu_node
    finally:
        log = node.stop()
    failures = [f"SCU {s.number}: {f}" for s in senders for f in s.failures]
    if "Traceback" in log:
        failures.append("node log: " + log[log.index("Traceback") :][:2000])
    return NetworkResult(
        associations=associations,
        nagle=nagle,
        reports=len(samples),
        acknowledged=acknowledged,
        received_s=received - start,
        imported_s=max(imported, received) - start,
        node_cpu_s=cpu_node,
        client_cpu_s=cpu_client,
        in_database=count_reports(home),
        status=status,
        failures=failures,
    )


def best_network(results: list[NetworkResult]) -> NetworkResult:
    """The best of several passes: the shortest time to receive and, separately, to receive and
    import (the CPU times and status are those of the pass that imported fastest)."""
    fastest = min(results, key=lambda r: r.imported_s)
    return dataclasses.replace(
        fastest,
        received_s=min(r.received_s for r in results),
        acknowledged=min(r.acknowledged for r in results),
        in_database=min(r.in_database for r in results),
        failures=[f for r in results for f in r.failures],
        runs=[(r.received_s, r.imported_s) for r in results],
    )


def best_file(results: list[FileResult]) -> FileResult:
    """The best of several passes: the shortest ``kerma import`` process."""
    fastest = min(results, key=lambda r: r.process_s)
    return dataclasses.replace(
        fastest,
        in_database=min(r.in_database for r in results),
        runs=[r.process_s for r in results],
    )


# --- file import ------------------------------------------------------------------------------


@dataclass
class FileResult:
    key: str
    label: str
    reports: int
    process_s: float  # the whole ``kerma import FOLDER`` process
    noop_s: float  # median of the no-op ``kerma import EMPTY`` processes
    summary: dict
    in_database: int
    workers: str
    process_cpu_s: float  # CPU time of the process and its parse workers
    noop_cpu_s: float = 0.0  # median CPU time of the no-op processes
    runs: list[float] = field(default_factory=list)  # process_s of every pass

    @property
    def import_s(self) -> float:
        return self.process_s - self.noop_s

    @property
    def cpu_s(self) -> float:
        return self.process_cpu_s - self.noop_cpu_s

    @property
    def rate(self) -> float:
        return self.in_database / self.import_s


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kerma_import(home: Path, folder: Path, **env: str) -> tuple[float, float, dict]:
    """Run ``kerma import FOLDER --json``; return its wall time, its CPU time (with its parse
    workers) and its summary."""
    cpu = _children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(
        [*KERMA, "import", str(folder), "--json"],
        env=_env(home, **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu_s() - cpu
    if done.returncode not in (0, 3):  # 3: some files quarantined, the others imported
        raise RuntimeError(f"kerma import failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, cpu, json.loads(done.stdout)


def noop_start(home: Path, empty: Path, runs: int) -> list[tuple[float, float]]:
    """Return the wall and CPU times of ``runs`` no-op ``kerma import EMPTY`` processes in
    ``home``, after one untimed run that creates and migrates its database."""
    home.mkdir(parents=True)
    _kerma_import(home, empty)
    return [_kerma_import(home, empty)[:2] for _ in range(runs)]


def measure_file_import(
    folder: Path, home: Path, empty: Path, noop_s: float, key: str, label: str, **env: str
) -> FileResult:
    """``kerma import FOLDER`` in a new home whose database is already migrated."""
    home.mkdir(parents=True)
    _kerma_import(home, empty, **env)  # create and migrate the database: not timed
    process_s, process_cpu_s, summary = _kerma_import(home, folder, **env)
    workers = env.get("KERMA_IMPORT_WORKERS") or f"{os.cpu_count()} (one per CPU) from 64 files"
    reports = sum(1 for _ in folder.glob("*.dcm"))
    in_database = count_reports(home)
    return FileResult(
        key, label, reports, process_s, noop_s, summary, in_database, workers, process_cpu_s
    )


# --- output -----------------------------------------------------------------------------------


def _rate(value: float) -> str:
    return "-" if value != value else f"{value:,.1f}"  # NaN → "-"


def _ratio(value: float, base: float | None) -> float:
    return value / base if base else float("nan")


def _reference(nets: list[NetworkResult], result: NetworkResult) -> NetworkResult | None:
    """The one-association result of the same kind of SCU socket."""
    return next((r for r in nets if r.associations == 1 and r.nagle == result.nagle), None)


def table(
    samples: list[Sample], nets: list[NetworkResult], files: list[FileResult], note: str
) -> str:
    base = files[0] if files else None
    lines = [f"== {len(samples)} reports ({_mix_text(samples)}); {note}"]
    header = (
        f"   {'measure':<53} {'seconds':>8} {'reports/s':>10} {'x 1 assoc':>9} "
        f"{'x file':>7} {'CPU s':>7} {'SCU s':>6}"
    )
    lines += [header, "   " + "-" * (len(header) - 3)]
    for result in nets:
        one = _reference(nets, result)
        for what, seconds, rate, ref in (
            ("received", result.received_s, result.received_rate, one and one.received_rate),
            (
                "received + imported",
                result.imported_s,
                result.imported_rate,
                one and one.imported_rate,
            ),
        ):
            received = what == "received"
            node_cpu = "" if received else f"{result.node_cpu_s:.1f}"
            scu_cpu = f"{result.client_cpu_s:.1f}" if received else ""
            lines.append(
                f"   {f'({result.key}) {result.label}, {what}':<53} {seconds:>8.2f} "
                f"{_rate(rate):>10} {_ratio(rate, ref):>9.2f} "
                f"{_ratio(rate, base.rate if base else None):>7.2f} {node_cpu:>7} {scu_cpu:>6}"
            )
    one = next((r for r in nets if r.associations == 1 and not r.nagle), None)
    for result in files:
        lines.append(
            f"   {f'({result.key}) {result.label}':<53} {result.import_s:>8.2f} "
            f"{_rate(result.rate):>10} "
            f"{_ratio(result.rate, one.imported_rate if one else None):>9.2f} "
            f"{_ratio(result.rate, base.rate):>7.2f} {result.cpu_s:>7.1f}"
        )
    lines.append(
        "   CPU s: of the node process while receiving and importing; of `kerma import` and its"
        " parse workers, minus a no-op run\n   SCU s: of the sending threads (this process)"
    )
    lines.append("   ratios:")
    for result in nets:
        one = _reference(nets, result)
        if result.associations > 1 and one is not None:
            lines.append(
                f"     {result.label} ÷ 1: received "
                f"{result.received_rate / one.received_rate:.2f}, received + imported "
                f"{result.imported_rate / one.imported_rate:.2f}"
            )
    if base:
        for result in nets:
            lines.append(
                f"     network ({result.label}) ÷ file import: received "
                f"{result.received_rate / base.rate:.2f}, received + imported "
                f"{result.imported_rate / base.rate:.2f}"
            )
    for result in files:
        summary = ", ".join(
            f"{k} {len(v) if isinstance(v, list) else v}" for k, v in result.summary.items()
        )
        runs = ", ".join(f"{x - result.noop_s:.2f}" for x in result.runs)
        lines.append(
            f"   {'(' + result.key + ')'} {result.label}: process {result.process_s:.2f} s − "
            f"no-op start {result.noop_s:.2f} s; parse workers {result.workers}; {summary}; "
            f"import s of each pass: {runs}"
        )
        if result.in_database != result.reports:
            lines.append(
                f"   ! ({result.key}) {result.in_database} of {result.reports} in the database"
            )
    for result in nets:
        status = result.status
        lines.append(
            f"   ({result.key}) acknowledged {result.acknowledged}/{result.reports}, in the "
            f"database {result.in_database}; node status: received_today "
            f"{status.get('received_today')}, imported {status.get('imported')}, replaced "
            f"{status.get('replaced')}, quarantined {status.get('quarantined')}; s of each "
            f"pass (received/imported): " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in result.runs)
        )
        for failure in result.failures[:10]:
            lines.append(f"   ! ({result.key}) {failure}")
    return "\n".join(lines)


def profile_text(path: Path, top: int) -> str:
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(str(path), stream=text).strip_dirs()
    text.write("\n-- node profile (all threads merged), by internal time --\n")
    stats.sort_stats("tottime").print_stats(top)
    text.write("-- node profile (all threads merged), by cumulative time --\n")
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def as_json(
    info: dict,
    args: argparse.Namespace,
    samples: list[Sample],
    nets: list[NetworkResult],
    files: list[FileResult],
) -> dict:
    base = files[0] if files else None
    network = []
    for r in nets:
        one = _reference(nets, r)
        network.append(
            {
                "associations": r.associations,
                "scu_nagle": r.nagle,
                "acknowledged": r.acknowledged,
                "in_database": r.in_database,
                "received_s": round(r.received_s, 4),
                "received_per_s": round(r.received_rate, 2),
                "imported_s": round(r.imported_s, 4),
                "received_and_imported_per_s": round(r.imported_rate, 2),
                "ratio_to_1_association": {
                    "received": round(r.received_rate / one.received_rate, 3),
                    "received_and_imported": round(r.imported_rate / one.imported_rate, 3),
                }
                if one
                else None,
                "ratio_to_file_import": {
                    "received": round(r.received_rate / base.rate, 3),
                    "received_and_imported": round(r.imported_rate / base.rate, 3),
                }
                if base
                else None,
                "passes_received_s": [round(a, 4) for a, _ in r.runs],
                "passes_imported_s": [round(b, 4) for _, b in r.runs],
                "node_cpu_s": round(r.node_cpu_s, 2),
                "scu_cpu_s": round(r.client_cpu_s, 2),
                "status": r.status,
                "failures": r.failures,
            }
        )
    return {
        "machine": info,
        "options": {
            "reports": args.reports,
            "associations": args.associations,
            "repeat": args.repeat,
            "nagle": args.nagle,
            "single_worker": args.single_worker,
            "seed": args.seed,
            "noop_runs": args.noop_runs,
        },
        "reports": len(samples),
        "mix": _mix_text(samples),
        "network": network,
        "file_import": [
            {
                "key": f.key,
                "label": f.label,
                "parse_workers": f.workers,
                "process_s": round(f.process_s, 4),
                "noop_s": round(f.noop_s, 4),
                "cpu_s": round(f.cpu_s, 2),
                "import_s": round(f.import_s, 4),
                "passes_process_s": [round(x, 4) for x in f.runs],
                "reports_per_s": round(f.rate, 2),
                "in_database": f.in_database,
                "summary": f.summary,
            }
            for f in files
        ],
    }


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reports",
        type=int,
        default=400,
        metavar="N",
        help="number of generated reports (default 400)",
    )
    parser.add_argument(
        "--associations",
        type=int,
        default=8,
        metavar="K",
        help="simultaneous associations of the second measure (default 8)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        metavar="R",
        help="passes of every measure, each on a new node and home; the best is kept (default 2)",
    )
    parser.add_argument(
        "--nagle",
        action="store_true",
        help="also measure 1 and K associations with the SCUs' sockets as pynetdicom makes "
        "them (Nagle's algorithm on)",
    )
    parser.add_argument(
        "--single-worker",
        action="store_true",
        help="also time `kerma import` with KERMA_IMPORT_WORKERS=1 (parse and store in one "
        "process, as the node does)",
    )
    parser.add_argument(
        "--noop-runs",
        type=int,
        default=3,
        metavar="R",
        help="no-op `kerma import` runs whose median is subtracted (default 3)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the timings, run the K-association measure once more with the node under "
        "cProfile (every thread) and print the top functions",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the reports")
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the figures as JSON to PATH ('-': stdout, the table then goes to stderr)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.associations < 2 or args.reports < args.associations:
        parser.error("need --associations >= 2 and --reports >= --associations")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = sys.stderr if args.json == "-" else sys.stdout
    root = Path(tempfile.mkdtemp(prefix="kerma-node-bench-"))
    pynetdicom_config.STORE_SEND_CHUNKED_DATASET = True  # send the file bytes, no re-encoding
    began = time.monotonic()
    try:
        import pynetdicom

        info = machine_info()
        info["pynetdicom"] = pynetdicom.__version__
        print(
            f"Kerma DICOM node benchmark, {info['date']}\n"
            f"{info['cpu']} x {info['cpu_count']}, {info['platform']}\n"
            f"Python {info['python']}, pydicom {info['pydicom']}, pynetdicom "
            f"{info['pynetdicom']}, Django {info['django']}, SQLite {info['sqlite']}; "
            f"load average {info['load_average']}; temporary files in {root}",
            file=out,
            flush=True,
        )
        start = time.perf_counter()
        samples = generate(args.reports, root / "reports", args.seed)
        contexts = contexts_of(samples)
        note = f"kerma.dicom.write, written in {time.perf_counter() - start:.1f} s"
        empty = root / "empty"
        empty.mkdir()

        noop_runs = noop_start(root / "home-noop", empty, args.noop_runs)
        noops = [wall for wall, _ in noop_runs]
        noop_s = statistics.median(noops)
        noop_cpu_s = statistics.median(cpu for _, cpu in noop_runs)
        # Every pass runs every measure, each on a new node or in a new home; interleaving the
        # passes spreads a change of the machine's load over all measures.
        file_runs: dict[str, list[FileResult]] = {}
        net_runs: dict[str, list[NetworkResult]] = {}
        file_measures = [("f", "file import, `kerma import FOLDER`", {})]
        if args.single_worker:
            file_measures.append(("f1", "file import, 1 process", {"KERMA_IMPORT_WORKERS": "1"}))
        for number in range(1, args.repeat + 1):
            for key, label, env in file_measures:
                home = root / f"home-{key}-{number}"
                result = measure_file_import(
                    root / "reports", home, empty, noop_s, key, label, **env
                )
                file_runs.setdefault(key, []).append(result)
            for nagle in (False, True) if args.nagle else (False,):
                for associations in (1, args.associations):
                    key = f"{associations}{'n' if nagle else ''}"
                    home = root / f"home-node-{key}-{number}"
                    result = measure_network(samples, contexts, associations, home, nagle=nagle)
                    net_runs.setdefault(key, []).append(result)
                    if not args.keep:
                        shutil.rmtree(home, ignore_errors=True)
            print(f"   pass {number} of {args.repeat} done", file=out, flush=True)
        files = [
            dataclasses.replace(best_file(runs), noop_cpu_s=noop_cpu_s)
            for runs in file_runs.values()
        ]
        nets = [best_network(runs) for runs in net_runs.values()]
        info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        info["noop_start_s"] = [round(x, 3) for x in noops]
        print("\n" + table(samples, nets, files, note), file=out)
        print(
            f"\nno-op `kerma import EMPTY` runs: {', '.join(f'{x:.2f}' for x in noops)} s "
            f"(median {noop_s:.2f} s subtracted)\n"
            f"load average at the end: {info['load_average_end']}; "
            f"run took {time.monotonic() - began:.0f} s",
            file=out,
            flush=True,
        )
        if args.profile:
            stats = root / "node.prof"
            profiled = measure_network(
                samples,
                contexts,
                args.associations,
                root / "home-node-profiled",
                profile_to=stats,
            )
            print(
                f"\nprofiled run ({args.associations} associations, slowed by the profiler): "
                f"received {profiled.received_rate:.1f}/s, received + imported "
                f"{profiled.imported_rate:.1f}/s",
                file=out,
            )
            print(profile_text(stats, 30), file=out, flush=True)
        if args.json:
            report = as_json(info, args, samples, nets, files)
            text = json.dumps(report, indent=2, ensure_ascii=False)
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
