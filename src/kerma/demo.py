"""A year of a (fictional) French imaging unit's exams, written as real DICOM dose objects.

:func:`generate_demo` writes, through :mod:`kerma.dicom.write`, the files that the unit's
modalities would have sent over `days` days: CT dose reports from two scanners (the Siemens
SOMATOM go.Top runs unoptimised thorax and abdomen-pelvis protocols whose median CTDIvol and DLP
sit well above the French reference levels; the GE Revolution CT sits below them and reports
SSDE and water equivalent diameter), radiography dose reports from a fixed room, DX image
headers from a mobile unit, MG image headers from a mammography unit, interventional dose
reports from a cardiology room (coronary angiography and PCI, 100 to 400 events each, full
geometry) and from a mobile C-arm in the operating theatre (5 to 60 events, some geometry
missing, non-UCUM DAP units), radiopharmaceutical dose reports from a gamma camera, and PET and
CT image headers from a PET/CT.

Patients are synthetic (random combinations of common French names, random identifiers):
adults with height and weight (some BMI outside 18-35, some sizes missing), children, patients
seen several times in the year, and quality-control phantoms. Doses are log-normal around
realistic medians per protocol and scale with patient size. Everything is deterministic for a
given `seed`: the same call writes byte-identical files.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from pydicom.uid import generate_uid

from kerma.dicom.write import (
    Administration,
    CtAcquisition,
    Device,
    Patient,
    ProjectionEvent,
    Study,
    write_ct_image,
    write_ct_rdsr,
    write_dx_image,
    write_mg_image,
    write_pet_image,
    write_projection_rdsr,
    write_radiopharmaceutical_rdsr,
)

__all__ = ["DEMO_DEVICES", "DemoDevice", "generate_demo"]

INSTITUTION = "CH DE VALMONT-SUR-LOIRE"
_UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as generate_uid() uses


@dataclass(frozen=True)
class DemoDevice:
    """One device of the demo unit and how it behaves over a year.

    ``yearly_exams`` at ``scale=1``; ``weekend_weight`` the relative activity of a Saturday or
    Sunday; fractions are of the device's exams; ``weight_missing`` / ``height_missing`` the
    share of adult exams sent without that size.
    """

    key: str
    kind: str
    manufacturer: str
    model: str
    station_name: str
    department: str
    yearly_exams: int
    weekend_weight: float = 0.05
    child_fraction: float = 0.0
    qc_fraction: float = 0.0
    reuse_fraction: float = 0.1
    weight_missing: float = 0.2
    height_missing: float = 0.4
    quirks: frozenset[str] = frozenset()

    def device(self) -> Device:
        """The writer's :class:`~kerma.dicom.write.Device` (stable UID, any seed)."""
        return Device(
            manufacturer=self.manufacturer,
            model=self.model,
            serial_number=f"{abs(_stable_int(self.key)) % 900000 + 100000}",
            station_name=self.station_name,
            device_observer_uid=generate_uid(entropy_srcs=["kerma-demo-device", self.key]),
            institution=INSTITUTION,
            department=self.department,
            software_version="VA20" if "SIEMENS" in self.manufacturer.upper() else "4.1",
        )


DEMO_DEVICES: tuple[DemoDevice, ...] = (
    DemoDevice(
        key="ct_revolution",
        kind="ct",
        manufacturer="GE MEDICAL SYSTEMS",
        model="Revolution CT",
        station_name="SCANNER1",
        department="IMAGERIE MEDICALE",
        yearly_exams=1100,
        weekend_weight=0.3,
        child_fraction=0.05,
        qc_fraction=0.01,
        reuse_fraction=0.15,
        weight_missing=0.15,
        height_missing=0.4,
    ),
    DemoDevice(
        key="ct_gotop",
        kind="ct",
        manufacturer="SIEMENS",
        model="SOMATOM go.Top",
        station_name="SCANNER2",
        department="IMAGERIE MEDICALE",
        yearly_exams=1000,
        weekend_weight=0.05,
        child_fraction=0.04,
        qc_fraction=0.01,
        reuse_fraction=0.15,
        weight_missing=0.2,
        height_missing=0.5,
    ),
    DemoDevice(
        key="radio_salle1",
        kind="radiography",
        manufacturer="SIEMENS",
        model="Ysio Max",
        station_name="RADIO1",
        department="IMAGERIE MEDICALE",
        yearly_exams=900,
        weekend_weight=0.1,
        child_fraction=0.07,
        qc_fraction=0.005,
        weight_missing=0.5,
        height_missing=0.7,
    ),
    DemoDevice(
        key="radio_mobile",
        kind="mobile",
        manufacturer="Carestream Health",
        model="DRX-Revolution",
        station_name="MOBILE1",
        department="IMAGERIE MEDICALE",
        yearly_exams=350,
        weekend_weight=0.6,
        child_fraction=0.12,
        weight_missing=0.9,
        height_missing=0.95,
        quirks=frozenset({"implicit_vr"}),
    ),
    DemoDevice(
        key="mammo",
        kind="mammography",
        manufacturer="GE MEDICAL SYSTEMS",
        model="Senographe Essential",
        station_name="MAMMO1",
        department="IMAGERIE MEDICALE",
        yearly_exams=250,
        weekend_weight=0.0,
        weight_missing=0.8,
        height_missing=0.9,
    ),
    DemoDevice(
        key="cath_lab",
        kind="cath",
        manufacturer="Philips Medical Systems",
        model="Azurion 7 M12",
        station_name="CORO1",
        department="CARDIOLOGIE INTERVENTIONNELLE",
        yearly_exams=420,
        weekend_weight=0.12,
        reuse_fraction=0.12,
        weight_missing=0.03,
        height_missing=0.1,
        quirks=frozenset({"text_reference_point"}),
    ),
    DemoDevice(
        key="carm_bloc",
        kind="carm",
        manufacturer="SIEMENS",
        model="Cios Alpha",
        station_name="BLOC_CARM1",
        department="BLOC OPERATOIRE",
        yearly_exams=200,
        weekend_weight=0.15,
        child_fraction=0.02,
        weight_missing=0.6,
        height_missing=0.8,
        quirks=frozenset({"non_ucum_units"}),
    ),
    DemoDevice(
        key="gamma_camera",
        kind="nm",
        manufacturer="SIEMENS NM",
        model="Symbia Intevo Bold",
        station_name="GAMMA1",
        department="MEDECINE NUCLEAIRE",
        yearly_exams=400,
        weekend_weight=0.0,
        child_fraction=0.03,
        weight_missing=0.02,
        height_missing=0.1,
    ),
    DemoDevice(
        key="pet_ct",
        kind="pet",
        manufacturer="Philips",
        model="GEMINI TF 64",
        station_name="TEPTDM1",
        department="MEDECINE NUCLEAIRE",
        yearly_exams=150,
        weekend_weight=0.0,
        reuse_fraction=0.25,
        weight_missing=0.0,
        height_missing=0.05,
    ),
)


# --------------------------------------------------------------------------------------------
# Names (synthetic: random combinations of common French names)
# --------------------------------------------------------------------------------------------
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAMES = _words(
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL "
    "LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE "
    "ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER "
    "FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU "
    "GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN "
    "BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE"
)
_MALE_NAMES = _words(
    "Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Daniel Bernard Thierry Eric "
    "Frederic Laurent Olivier Pascal David Julien Stephane Sebastien Francois Gerard Andre "
    "Jacques Marc Louis Hugo Lucas Thomas Antoine Mathieu Yannick Rene Claude Henri"
)
_FEMALE_NAMES = _words(
    "Marie Nathalie Isabelle Sylvie Catherine Francoise Martine Christine Monique Valerie "
    "Sandrine Stephanie Celine Sophie Veronique Nicole Chantal Aurelie Julie Camille Emma Lea "
    "Chloe Manon Ines Sarah Laura Helene Anne Brigitte Jacqueline Odile Elodie Claire Lucie"
)


def _stable_int(text: str) -> int:
    """A process-independent integer from `text` (``hash`` is salted per process)."""
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % (1 << 61)
    return value


# The staff the cath lab's and the GE scanner's reports name (fictitious, DICOM Family^Given):
# shares out of 20 exams → (cardiologist or radiographer administering, operators, physician
# authorising). The people register of the demo (kerma.web.people.demo) has most of them
# qualified on their device; DURAND^Thomas (a nurse) and MOREAU^Julie (a locum cardiologist)
# are in no register, GIRARD^Laura is a newcomer trained but not yet qualified on the CT, and
# MERCIER^Paul authorises CT exams without a qualification on the scanner.
_STAFF: dict[str, tuple[tuple[int, str, tuple[str, ...], str], ...]] = {
    "cath_lab": (
        (14, "LEROY^Anne", ("MARTIN^Sophie",), "LEROY^Anne"),
        (3, "MERCIER^Paul", ("MARTIN^Sophie",), "MERCIER^Paul"),
        (2, "LEROY^Anne", ("DURAND^Thomas",), "LEROY^Anne"),
        (1, "MOREAU^Julie", ("MARTIN^Sophie",), "MOREAU^Julie"),
    ),
    "ct_revolution": (
        (17, "PETIT^Julien", ("PETIT^Julien",), "MERCIER^Paul"),
        (3, "GIRARD^Laura", ("GIRARD^Laura",), "MERCIER^Paul"),
    ),
}


def _staffed(spec: DemoDevice, study: Study) -> Study:
    """Return ``study`` naming its staff when the device's reports do (:data:`_STAFF`), chosen
    from the accession number: no draw from the random streams, so every dose stays as it was."""
    shares = _STAFF.get(spec.key)
    if not shares:
        return study
    pick = _stable_int(study.accession_number) % sum(share for share, *_ in shares)
    for share, administering, operators, authorizing in shares:
        if pick < share:
            physician = administering if spec.kind == "cath" else authorizing
            return replace(
                study,
                operators=operators,
                performing_physician=physician,
                administering=administering,
                authorizing=authorizing,
            )
        pick -= share
    raise AssertionError("unreachable")  # pragma: no cover - the shares cover every pick


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _sig(value: float, digits: int = 4) -> float:
    """Round to `digits` significant digits (what a modality would print)."""
    if value == 0:
        return 0.0
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


# --------------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------------
@dataclass
class _Person:
    patient_id: str
    name: str
    sex: str
    birth_date: date
    height_m: float
    bmi: float
    child: bool


class _Population:
    """Synthetic persons, shared by all devices so a patient can come back anywhere."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.adults: list[_Person] = []
        self.children: list[_Person] = []
        self._ids: set[str] = set()

    def _new_id(self) -> str:
        while True:
            candidate = f"{self.rng.randrange(10**8, 10**9)}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def new_person(
        self,
        when: date,
        *,
        child: bool,
        sex: str | None = None,
        age_range: tuple[float, float] | None = None,
    ) -> _Person:
        rng = self.rng
        sex = sex or rng.choice("MF")
        if age_range is not None:
            age = rng.uniform(*age_range)
        elif child:
            age = rng.choice((rng.uniform(0.05, 2), rng.uniform(2, 12), rng.uniform(12, 17.9)))
        else:
            age = min(max(rng.gauss(62, 17), 18.5), 97)
        birth = when - timedelta(days=int(age * 365.25))
        given = rng.choice(_MALE_NAMES if sex == "M" else _FEMALE_NAMES)
        height = rng.gauss(1.75, 0.07) if sex == "M" else rng.gauss(1.62, 0.065)
        person = _Person(
            patient_id=self._new_id(),
            name=f"{rng.choice(_SURNAMES)}^{given}",
            sex=sex,
            birth_date=birth,
            height_m=round(height, 2),
            bmi=min(max(_lognormal(rng, 25.5, 0.19), 14.5), 55.0),
            child=child,
        )
        (self.children if child else self.adults).append(person)
        return person

    def pick(
        self,
        spec: DemoDevice,
        rng: random.Random,
        when: datetime,
        *,
        sex: str | None = None,
        age_range: tuple[float, float] | None = None,
        child: bool | None = None,
    ) -> Patient:
        """A patient for an exam on `spec`: new, or (``reuse_fraction``) seen before."""
        if child is None:
            child = rng.random() < spec.child_fraction
        pool = self.children if child else self.adults
        candidates = [p for p in pool[-400:] if (sex is None or p.sex == sex)]
        if age_range is None and candidates and rng.random() < spec.reuse_fraction:
            person = rng.choice(candidates)
        else:
            person = self.new_person(when.date(), child=child, sex=sex, age_range=age_range)
        return self.as_patient(person, spec, rng, when)

    @staticmethod
    def as_patient(
        person: _Person, spec: DemoDevice, rng: random.Random, when: datetime
    ) -> Patient:
        age = (when.date() - person.birth_date).days / 365.25
        if person.child or age < 18:
            height = _child_height(age, person)
            weight = _child_weight(age, person)
            weight_known = rng.random() > 0.1
            height_known = rng.random() > 0.5
        else:
            height = person.height_m
            weight = person.bmi * height * height
            weight_known = rng.random() >= spec.weight_missing
            height_known = rng.random() >= spec.height_missing
        return Patient(
            patient_id=person.patient_id,
            name=person.name,
            birth_date=person.birth_date,
            sex=person.sex,
            age_years=round(age, 2),
            weight_kg=round(weight, 1) if weight_known else None,
            height_m=round(height, 2) if height_known else None,
        )


def _child_height(age: float, person: _Person) -> float:
    base = 0.5 + 0.25 * age if age < 1 else 0.76 + 0.058 * age
    return base * (person.height_m / (1.75 if person.sex == "M" else 1.62))


def _child_weight(age: float, person: _Person) -> float:
    base = 3.5 + 6.5 * age if age < 1 else (2.2 * age + 8 if age < 10 else 3.2 * age - 2)
    return base * (person.bmi / 25.5) ** 0.5


def _phantom(spec: DemoDevice, rng: random.Random) -> Patient:
    name = rng.choice(("FANTOME^CQ", "PHANTOM^QA", "FANTOME^CATPHAN"))
    return Patient(
        patient_id=f"QC{_stable_int(spec.key) % 10000:04d}",
        name=name,
        birth_date=None,
        sex="O",
        age_years=None,
        quality_control=rng.random() < 0.5,
    )


# --------------------------------------------------------------------------------------------
# Generator state
# --------------------------------------------------------------------------------------------
@dataclass
class _Generator:
    out_dir: Path
    seed: int
    population: _Population
    files: list[Path] = field(default_factory=list)
    accession: int = 0
    uid_count: int = 0

    def uid(self, *parts: object) -> str:
        """A deterministic UID for this seed."""
        self.uid_count += 1
        return generate_uid(
            prefix=_UID_ROOT,
            entropy_srcs=["kerma-demo", str(self.seed), str(self.uid_count), *map(str, parts)],
        )

    def study(self, when: datetime, description: str) -> Study:
        self.accession += 1
        return Study(
            study_instance_uid=self.uid("study"),
            accession_number=f"{when:%y}{self.accession:07d}",
            description=description,
            start=when,
            study_id=f"{self.accession % 100000}",
        )

    def path(self, spec: DemoDevice, study: Study, suffix: str = "") -> Path:
        name = f"{study.start:%Y%m%d_%H%M}_{study.accession_number}{suffix}.dcm"
        return self.out_dir / spec.key / name


def generate_demo(
    out_dir: Path,
    *,
    start: date,
    days: int = 365,
    seed: int = 0,
    scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write `days` days of the demo unit's exams under `out_dir` and return the files.

    Files are ``out_dir/<device key>/<YYYYMMDD_HHMM>_<accession>[_<n>].dcm`` (one exam may
    write several objects: a cumulative second CT report, four mammography views, PET and
    CT images, the stress and rest reports of a myocardial perfusion scan). Each device
    performs ``yearly_exams * scale * days / 365`` exams (at least one), mostly on weekdays.
    `progress` is called with (exams done, exams planned) after each exam.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    out_dir = Path(out_dir)
    gen = _Generator(out_dir, seed, _Population(random.Random(f"kerma-demo:{seed}:people")))
    plans = []
    for spec in DEMO_DEVICES:
        rng = random.Random(f"kerma-demo:{seed}:{spec.key}")
        count = max(1, round(spec.yearly_exams * scale * days / 365))
        plans.append((spec, rng, _schedule(spec, rng, start, days, count)))
    cases = _followup_plan(start, days)
    total = sum(len(moments) for _, _, moments in plans) + len(cases)
    done = 0
    for spec, rng, moments in plans:
        device = spec.device()
        for when in moments:
            _EXAMS[spec.kind](gen, spec, device, rng, when)
            done += 1
            if progress is not None:
                progress(done, total)
    # Written last, with their own random stream: the ordinary activity stays the same.
    rng = random.Random(f"kerma-demo:{seed}:followup")
    for _ in _followup_cases(gen, rng, cases):
        done += 1
        if progress is not None:
            progress(done, total)
    return gen.files


def _schedule(
    spec: DemoDevice, rng: random.Random, start: date, days: int, count: int
) -> list[datetime]:
    """Exam start times: weekdays mostly, working hours mostly."""
    day_list = [start + timedelta(days=i) for i in range(days)]
    weights = [1.0 if d.weekday() < 5 else spec.weekend_weight for d in day_list]
    if not any(weights):
        weights = [1.0] * len(day_list)
    chosen = rng.choices(day_list, weights=weights, k=count)
    moments = []
    for day in chosen:
        if spec.kind in ("ct", "cath", "mobile") and rng.random() < 0.06:
            minutes = rng.randrange(0, 24 * 60)  # on-call
        else:
            minutes = rng.randrange(8 * 60, 18 * 60 + 30)
        moments.append(datetime.combine(day, time()) + timedelta(minutes=minutes))
    return sorted(moments)


# --------------------------------------------------------------------------------------------
# CT
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Helix:
    name: str
    region: str
    length_mm: float
    ctdi_low: float  # median CTDIvol in mGy, 70 kg adult, optimised scanner
    contrast: bool = False
    probability: float = 1.0
    head: bool = False


@dataclass(frozen=True)
class _CtProtocol:
    description: str
    weight: float
    helices: tuple[_Helix, ...]
    high_factor: float  # unoptimised scanner / optimised scanner


_CT_PROTOCOLS: tuple[_CtProtocol, ...] = (
    _CtProtocol("TDM THORAX", 24, (_Helix("THORAX", "chest", 320, 4.6),), 3.6),
    _CtProtocol(
        "ANGIOSCANNER THORACIQUE", 6, (_Helix("ANGIO EP", "chest", 300, 6.0, contrast=True),), 1.5
    ),
    _CtProtocol(
        "ABDOMEN-PELVIS INJ",
        15,
        (
            _Helix("ABDO-PELVIS SANS", "abdomen_pelvis", 450, 7.0, probability=0.3),
            _Helix("ABDO-PELVIS PORTAL", "abdomen_pelvis", 450, 7.4, contrast=True),
        ),
        2.6,
    ),
    _CtProtocol(
        "TAP INJ",
        22,
        (
            _Helix("THORAX ARTERIEL", "chest", 300, 6.0, contrast=True, probability=0.4),
            _Helix("TAP PORTAL", "chest_abdomen_pelvis", 650, 7.2, contrast=True),
        ),
        3.0,
    ),
    _CtProtocol("CRANE SANS INJ", 17, (_Helix("CRANE", "head", 160, 40.0, head=True),), 1.25),
    _CtProtocol(
        "TDM RACHIS LOMBAIRE", 5, (_Helix("RACHIS LOMBAIRE", "lumbar_spine", 220, 14.0),), 1.4
    ),
    _CtProtocol("TDM SINUS", 4, (_Helix("SINUS", "sinus", 100, 6.5, head=True),), 1.6),
    _CtProtocol(
        "UROSCANNER",
        4,
        (
            _Helix("URO SANS INJ", "abdomen_pelvis", 450, 6.5),
            _Helix("URO PORTAL", "abdomen_pelvis", 450, 7.2, contrast=True),
            _Helix("URO TARDIF", "abdomen_pelvis", 420, 5.5, contrast=True, probability=0.8),
        ),
        1.5,
    ),
    _CtProtocol(
        "COLOSCANNER",
        3,
        (
            _Helix("COLO DECUBITUS", "abdomen_pelvis", 480, 3.0),
            _Helix("COLO PROCUBITUS", "abdomen_pelvis", 480, 3.0),
        ),
        1.5,
    ),
)
_CT_CHILD_PROTOCOLS = ("CRANE SANS INJ", "TDM THORAX", "ABDOMEN-PELVIS INJ", "TDM SINUS")


def _ct_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    ge = spec.manufacturer.startswith("GE")
    if rng.random() < spec.qc_fraction:
        patient = _phantom(spec, rng)
        protocol = _CtProtocol(
            "CQ MENSUEL",
            0,
            (
                _Helix("CQ TETE", "head", 160, 45.0, head=True),
                _Helix("CQ CORPS", "abdomen", 200, 12.0),
            ),
            1.2,
        )
    else:
        patient = gen.population.pick(spec, rng, when)
        choices = _CT_PROTOCOLS
        if patient.age_years is not None and patient.age_years < 18:
            choices = tuple(p for p in _CT_PROTOCOLS if p.description in _CT_CHILD_PROTOCOLS)
        protocol = rng.choices(choices, weights=[p.weight for p in choices])[0]
    study = _staffed(spec, gen.study(when, protocol.description))
    acquisitions = _ct_acquisitions(gen, rng, when, protocol, patient, ge=ge)
    quirks = set(spec.quirks)
    if ge and patient.weight_kg is None and patient.age_years is not None:
        quirks.add("weight_zero")  # the GE console sends 0 for an unknown weight
    series = gen.uid("series")
    if len(acquisitions) > 2 and rng.random() < 0.03:
        # sent twice: a first report, then a cumulative one repeating its events
        first = acquisitions[:-1]
        gen.files.append(
            write_ct_rdsr(
                gen.path(spec, study),
                patient,
                device,
                study,
                first,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=series,
                quirks=quirks,
            )
        )
        gen.files.append(
            write_ct_rdsr(
                gen.path(spec, study, "_2"),
                patient,
                device,
                study,
                acquisitions,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=series,
                instance_number=2,
                quirks=quirks,
            )
        )
    else:
        gen.files.append(
            write_ct_rdsr(
                gen.path(spec, study),
                patient,
                device,
                study,
                acquisitions,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=series,
                quirks=quirks,
            )
        )


def _ct_acquisitions(
    gen: _Generator,
    rng: random.Random,
    when: datetime,
    protocol: _CtProtocol,
    patient: Patient,
    *,
    ge: bool,
) -> list[CtAcquisition]:
    weight = patient.weight_kg or (70.0 if (patient.age_years or 40) >= 18 else 30.0)
    child = patient.age_years is not None and patient.age_years < 18
    height = patient.height_m or (0.76 + 0.058 * (patient.age_years or 0) if child else 1.70)
    start = when + timedelta(minutes=rng.randint(2, 6))
    first = protocol.helices[0]
    localizer_region = first.region
    acquisitions = [
        _ct_localizer(gen, rng, start, localizer_region, first.head, ge=ge, stature=height / 1.7)
    ]
    if not ge and first.head and rng.random() < 0.5:
        acquisitions.append(
            _ct_localizer(
                gen, rng, start + timedelta(seconds=20), localizer_region, True, ge=ge, lateral=True
            )
        )
    moment = start + timedelta(seconds=60)
    for helix in protocol.helices:
        if helix.probability < 1 and rng.random() > helix.probability:
            continue
        acquisitions.append(
            _ct_helix(gen, rng, moment, helix, protocol, weight, height, child=child, ge=ge)
        )
        moment += timedelta(seconds=rng.randint(40, 120))
    return acquisitions


def _ct_localizer(
    gen: _Generator,
    rng: random.Random,
    moment: datetime,
    region: str,
    head: bool,
    *,
    ge: bool,
    lateral: bool = False,
    stature: float = 1.0,
) -> CtAcquisition:
    """A localizer radiograph; `stature` scales its length (patient height / 1.70 m)."""
    length = rng.uniform(250, 300) if head else rng.uniform(450, 700) * stature
    ctdi = _sig(_lognormal(rng, 0.12 if head else 0.18, 0.3), 2)
    name = ("Scout" if ge else "Topogram") + (" LAT" if lateral else "")
    return CtAcquisition(
        protocol=name,
        target_region=region,
        acquisition_type="constant_angle",
        start=moment,
        ctdivol_mgy=ctdi,
        dlp_mgycm=_sig(ctdi * length / 10, 3),
        phantom=16 if head else 32,
        kvp=120.0,
        tube_current_ma=float(rng.choice((10, 20, 35, 40))),
        exposure_time_s=round(length / 100, 2),
        scan_length_mm=round(length),
        single_collimation_mm=0.625 if ge else 0.6,
        total_collimation_mm=1.25 if ge else 1.2,
        event_uid=gen.uid("event"),
    )


def _ct_helix(
    gen: _Generator,
    rng: random.Random,
    moment: datetime,
    helix: _Helix,
    protocol: _CtProtocol,
    weight: float,
    height: float,
    *,
    child: bool,
    ge: bool,
) -> CtAcquisition:
    """One CT acquisition: CTDIvol follows patient size (tube current modulation)."""
    if helix.head:
        wed_cm = rng.gauss(15.5 if child else 16.5, 0.6)
        size_factor = 0.6 if child else 1.0
    else:
        wed_cm = (16.0 + 0.16 * weight) * (0.92 if helix.region == "chest" else 1.0)
        wed_cm *= math.exp(rng.gauss(0, 0.05))
        size_factor = math.exp(0.045 * (wed_cm - 27.0)) * (0.6 if child else 1.0)
    median = helix.ctdi_low * (1.0 if ge else protocol.high_factor) * size_factor
    ctdi = _sig(_lognormal(rng, median, 0.14), 3)
    phantom = 16 if helix.head or (child and ge) else 32
    if phantom == 16 and not helix.head:
        ctdi = _sig(ctdi * 2.0, 3)  # the same output expressed in the 16 cm phantom
    sequenced = helix.head and not ge and helix.region == "head"
    length = helix.length_mm * (height / 1.70) * math.exp(rng.gauss(0, 0.07))
    collimation = 40.0 if ge else 38.4
    pitch = (
        None
        if sequenced
        else (0.984 if ge and not helix.head else 0.8 if ge else 0.55 if helix.head else 1.0)
    )
    rotation = 0.5 if helix.head else (0.5 if ge else 0.8)
    overrange = 0.0 if sequenced else collimation * 0.6
    dlp = _sig(ctdi * (length + overrange) / 10, 4)
    kvp = (
        (100.0 if child else 120.0) if ge else (110.0 if child else 130.0 if weight > 95 else 120.0)
    )
    exposure_time = length * rotation / ((pitch or 1.0) * collimation)
    mean_ma = ctdi / (0.09 if phantom == 16 else 0.065) * (pitch or 1.0) / rotation
    ssde = wed_mm = None
    if ge and not sequenced:
        factor = (
            1.874799 * math.exp(-0.03871313 * wed_cm)
            if phantom == 16
            else 3.704369 * math.exp(-0.03671937 * wed_cm)
        )
        ssde, wed_mm = _sig(ctdi * factor, 3), round(wed_cm * 10, 1)
    return CtAcquisition(
        protocol=helix.name,
        target_region=helix.region,
        acquisition_type="sequenced" if sequenced else "spiral",
        start=moment,
        ctdivol_mgy=ctdi,
        dlp_mgycm=dlp,
        phantom=phantom,
        kvp=kvp,
        tube_current_ma=round(mean_ma),
        max_tube_current_ma=round(mean_ma * 1.6),
        exposure_time_s=round(exposure_time, 2),
        rotation_time_s=rotation,
        pitch=pitch,
        scan_length_mm=round(length),
        single_collimation_mm=0.625 if ge else 0.6,
        total_collimation_mm=collimation,
        ssde_mgy=ssde,
        water_equivalent_diameter_mm=wed_mm,
        contrast=helix.contrast,
        event_uid=gen.uid("event"),
    )


# --------------------------------------------------------------------------------------------
# Radiography (fixed room: RDSR; mobile unit: DX headers)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _View:
    protocol: str
    region: str
    view: str
    dap_gycm2: float  # median, adult
    kvp: float
    mas: float
    sid_mm: float
    field_mm: tuple[float, float]
    copper_mm: float | None = None


_RADIOGRAPHY_EXAMS: tuple[tuple[str, float, tuple[_View, ...]], ...] = (
    (
        "THORAX FACE + PROFIL",
        30,
        (
            _View("THORAX FACE", "chest", "PA", 0.09, 125, 1.8, 1800, (350, 430), 0.1),
            _View("THORAX PROFIL", "chest", "LAT", 0.28, 125, 5.0, 1800, (350, 430), 0.1),
        ),
    ),
    (
        "THORAX FACE",
        15,
        (_View("THORAX FACE", "chest", "PA", 0.09, 125, 1.8, 1800, (350, 430), 0.1),),
    ),
    (
        "ABDOMEN SANS PREPARATION",
        8,
        (_View("ASP DEBOUT", "abdomen", "AP", 1.7, 80, 25, 1150, (350, 430)),),
    ),
    ("BASSIN FACE", 10, (_View("BASSIN FACE", "pelvis", "AP", 1.3, 77, 20, 1150, (430, 350)),)),
    (
        "RACHIS LOMBAIRE F+P",
        10,
        (
            _View("RACHIS LOMBAIRE FACE", "lumbar_spine", "AP", 1.1, 81, 25, 1150, (240, 430)),
            _View("RACHIS LOMBAIRE PROFIL", "lumbar_spine", "LAT", 2.0, 90, 40, 1150, (240, 430)),
        ),
    ),
    (
        "RACHIS CERVICAL F+P",
        5,
        (
            _View("RACHIS CERVICAL FACE", "cervical_spine", "AP", 0.10, 70, 8, 1150, (180, 240)),
            _View(
                "RACHIS CERVICAL PROFIL", "cervical_spine", "LAT", 0.12, 73, 10, 1500, (180, 240)
            ),
        ),
    ),
    (
        "GENOU F+P",
        10,
        (
            _View("GENOU FACE", "knee", "AP", 0.04, 63, 5, 1150, (180, 240)),
            _View("GENOU PROFIL", "knee", "LAT", 0.04, 60, 5, 1150, (180, 240)),
        ),
    ),
    (
        "HANCHE F+P",
        6,
        (
            _View("HANCHE FACE", "hip", "AP", 0.6, 77, 16, 1150, (240, 300)),
            _View("HANCHE LAUENSTEIN", "hip", "OBL", 0.5, 77, 16, 1150, (240, 300)),
        ),
    ),
    (
        "EPAULE F+P",
        5,
        (
            _View("EPAULE FACE", "shoulder", "AP", 0.15, 70, 10, 1150, (240, 300)),
            _View("EPAULE PROFIL", "shoulder", "LAT", 0.2, 75, 12, 1150, (240, 300)),
        ),
    ),
    (
        "CHEVILLE F+P",
        4,
        (
            _View("CHEVILLE FACE", "ankle", "AP", 0.02, 60, 3.2, 1150, (180, 240)),
            _View("CHEVILLE PROFIL", "ankle", "LAT", 0.02, 57, 3.2, 1150, (180, 240)),
        ),
    ),
    (
        "POIGNET F+P",
        4,
        (
            _View("POIGNET FACE", "wrist", "PA", 0.01, 55, 2.5, 1150, (180, 240)),
            _View("POIGNET PROFIL", "wrist", "LAT", 0.01, 55, 2.5, 1150, (180, 240)),
        ),
    ),
)
_CHILD_RADIOGRAPHY = ("THORAX FACE", "BASSIN FACE", "ABDOMEN SANS PREPARATION")
_MOBILE_EXAMS: tuple[tuple[str, float, tuple[_View, ...]], ...] = (
    (
        "THORAX AU LIT",
        85,
        (_View("THORAX AP LIT", "chest", "AP", 0.11, 100, 2.5, 1100, (350, 430)),),
    ),
    (
        "ABDOMEN AU LIT",
        8,
        (_View("ABDOMEN AP LIT", "abdomen", "AP", 1.2, 80, 16, 1000, (350, 430)),),
    ),
    ("BASSIN AU LIT", 7, (_View("BASSIN AP LIT", "pelvis", "AP", 1.0, 77, 16, 1000, (430, 350)),)),
)


def _radiography_event(
    gen: _Generator, rng: random.Random, moment: datetime, view: _View, patient: Patient
) -> ProjectionEvent:
    """One radiographic exposure; DAP scales with the patient and the exposure."""
    age = patient.age_years if patient.age_years is not None else 40.0
    child_factor = 1.0 if age >= 18 else max(0.08, min(1.0, 0.05 + 0.055 * age))
    weight = patient.weight_kg or 72.0
    size = (weight / 72.0) ** 0.9 if age >= 18 else 1.0
    dap = _lognormal(rng, view.dap_gycm2 * child_factor * size, 0.3)
    mas = _sig(view.mas * (dap / view.dap_gycm2) / max(child_factor, 0.2), 3)
    kvp = view.kvp if age >= 12 else max(55.0, view.kvp - 20)
    exposure_ms = _sig(max(2.0, mas / rng.choice((200, 250, 320, 400, 500)) * 1000), 3)
    width, height = (f * (1.0 if age >= 12 else 0.6) for f in view.field_mm)
    return ProjectionEvent(
        event_type="stationary",
        start=moment,
        dap_gycm2=_sig(dap, 4),
        protocol=view.protocol,
        kvp=float(kvp),
        tube_current_ma=_sig(mas / exposure_ms * 1000, 3),
        exposure_time_ms=exposure_ms,
        exposure_uas=round(mas * 1000),
        number_of_pulses=1,
        irradiation_duration_s=round(exposure_ms / 1000, 4),
        source_detector_mm=view.sid_mm,
        field_width_mm=round(width),
        field_height_mm=round(height),
        filter_material="copper" if view.copper_mm else None,
        filter_thickness_mm=view.copper_mm,
        image_view=view.view,
        target_region=view.region,
        event_uid=gen.uid("event"),
        entrance_exposure_mgy=_sig(dap * 1000 / (width * height / 100) * 1.35, 3),
    )


def _radiography_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    if rng.random() < spec.qc_fraction:
        patient = _phantom(spec, rng)
        description, views = "CONTROLE QUALITE", (_RADIOGRAPHY_EXAMS[1][2][0],)
    else:
        patient = gen.population.pick(spec, rng, when)
        exams = _RADIOGRAPHY_EXAMS
        if patient.age_years is not None and patient.age_years < 18:
            exams = tuple(e for e in exams if e[0] in _CHILD_RADIOGRAPHY)
        description, _, views = rng.choices(exams, weights=[e[1] for e in exams])[0]
    study = gen.study(when, description)
    moment = when + timedelta(minutes=rng.randint(1, 4))
    events = []
    for view in views:
        events.append(_radiography_event(gen, rng, moment, view, patient))
        if rng.random() < 0.08:  # a retake
            moment += timedelta(seconds=rng.randint(30, 90))
            events.append(_radiography_event(gen, rng, moment, view, patient))
        moment += timedelta(seconds=rng.randint(40, 150))
    events = [replace(e, entrance_exposure_mgy=None) for e in events]
    gen.files.append(
        write_projection_rdsr(
            gen.path(spec, study),
            patient,
            device,
            study,
            events,
            kind="radiography",
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            quirks=spec.quirks,
        )
    )


def _mobile_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    patient = gen.population.pick(spec, rng, when)
    exams = _MOBILE_EXAMS
    if patient.age_years is not None and patient.age_years < 18:
        exams = exams[:1]
    description, _, views = rng.choices(exams, weights=[e[1] for e in exams])[0]
    study = gen.study(when, description)
    series = gen.uid("series")
    moment = when + timedelta(minutes=rng.randint(1, 5))
    count = 2 if rng.random() < 0.1 else 1  # a second image: retake or control
    for number in range(1, count + 1):
        event = _radiography_event(gen, rng, moment, views[0], patient)
        event = replace(
            event,
            source_detector_mm=round(rng.uniform(950, 1250)),
            filter_material=None,
            filter_thickness_mm=None,
        )
        suffix = "" if number == 1 else f"_{number}"
        gen.files.append(
            write_dx_image(
                gen.path(spec, study, suffix),
                patient,
                device,
                study,
                event,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=series,
                instance_number=number,
                quirks=spec.quirks,
            )
        )
        moment += timedelta(minutes=rng.randint(1, 3))


def _mammography_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    screening = rng.random() < 0.7
    patient = gen.population.pick(
        spec, rng, when, sex="F", age_range=(50, 74) if screening else (38, 85), child=False
    )
    study = gen.study(when, "MAMMOGRAPHIE BILATERALE" if screening else "MAMMOGRAPHIE")
    series = gen.uid("series")
    thickness = min(max(rng.gauss(55, 11), 25), 90)
    moment = when + timedelta(minutes=rng.randint(2, 5))
    for number, (side, view) in enumerate(
        (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")), start=1
    ):
        t = min(max(thickness + rng.gauss(5 if view == "MLO" else 0, 3), 20), 95)
        kvp = 26 + round((t - 25) / 10)
        anode = "molybdenum" if t < 50 else "rhodium"
        agd = _sig(_lognormal(rng, 0.33 * math.exp(0.026 * t), 0.12), 3)
        event = ProjectionEvent(
            event_type="stationary",
            start=moment,
            dap_gycm2=0.0,
            protocol=f"{side}{view}",
            kvp=float(kvp),
            tube_current_ma=float(rng.choice((80, 100))),
            exposure_time_ms=_sig(rng.uniform(600, 1400), 3),
            exposure_uas=round(rng.uniform(40000, 140000)),
            agd_mgy=agd,
            laterality=side,
            compression_thickness_mm=round(t),
            entrance_exposure_mgy=_sig(agd * 4.6, 3),
            anode_target=anode,
            filter_material=anode,
            filter_thickness_mm=0.03 if anode == "molybdenum" else 0.025,
            half_value_layer_mm=round(0.3 + 0.01 * kvp, 3),
            image_view=view,
            target_region="breast",
            source_detector_mm=660.0,
            primary_angle_deg=0.0 if view == "CC" else (45.0 if side == "R" else -45.0),
        )
        gen.files.append(
            write_mg_image(
                gen.path(spec, study, f"_{number}"),
                patient,
                device,
                study,
                event,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=series,
                instance_number=number,
                quirks=spec.quirks,
            )
        )
        moment += timedelta(minutes=1, seconds=rng.randint(0, 50))


# --------------------------------------------------------------------------------------------
# Interventional cardiology and mobile C-arm
# --------------------------------------------------------------------------------------------
_CARDIAC_VIEWS: tuple[tuple[float, float], ...] = (
    (-30, 0),
    (-20, -20),
    (-10, 35),
    (45, 25),
    (40, -30),
    (0, 35),
    (0, -30),
    (-30, 25),
    (50, 0),
    (90, 0),
    (35, 30),
    (-45, 0),
)


def _split(rng: random.Random, total: float, weights: Sequence[float]) -> list[float]:
    scale = total / math.fsum(weights)
    return [w * scale for w in weights]


def _cath_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    pci = rng.random() < 0.32
    patient = gen.population.pick(spec, rng, when, child=False)
    study = _staffed(spec, gen.study(when, "ANGIOPLASTIE CORONAIRE" if pci else "CORONAROGRAPHIE"))
    events = _cath_events(
        gen, rng, when + timedelta(minutes=rng.randint(5, 15)), pci=pci, patient=patient
    )
    gen.files.append(
        write_projection_rdsr(
            gen.path(spec, study),
            patient,
            device,
            study,
            events,
            kind="fluoroscopy",
            intent="combined" if pci else "diagnostic",
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            quirks=spec.quirks,
        )
    )


def _cath_events(
    gen: _Generator,
    rng: random.Random,
    start: datetime,
    *,
    pci: bool,
    patient: Patient,
    total_dap: float | None = None,
    fluoro_time: float | None = None,
    views: Sequence[tuple[float, float]] = (),
) -> list[ProjectionEvent]:
    """Events of a coronary angiography or PCI: cine runs among many fluoroscopy bursts.

    Total DAP is log-normal (median 25 Gy.cm2 for angiography, 65 for PCI, long tail),
    split between cine and fluoroscopy, then among events by duration, frames and beam
    angulation; the reference-point air kerma follows from DAP and the field at 15 cm
    before the isocentre. ``total_dap`` (Gy.cm2), ``fluoro_time`` (s) and ``views`` fix them
    instead (the long procedures of :func:`_followup_cases`).
    """
    n_events = rng.randint(150, 400) if pci else rng.randint(100, 220)
    n_cine = rng.randint(15, 35) if pci else rng.randint(10, 18)
    size = ((patient.weight_kg or 78.0) / 78.0) ** 1.2
    if total_dap is None:
        total_dap = _lognormal(rng, (65.0 if pci else 25.0) * size, 0.62 if pci else 0.45)
    if fluoro_time is None:
        fluoro_time = _lognormal(rng, 720.0 if pci else 210.0, 0.45)
    views = tuple(views) or _CARDIAC_VIEWS
    cine_share = rng.uniform(0.45, 0.6) if pci else rng.uniform(0.55, 0.7)
    cine_at = set(rng.sample(range(n_events), n_cine))
    plans = []
    view = rng.choice(views)
    for index in range(n_events):
        cine = index in cine_at
        if cine or rng.random() < 0.15:
            view = rng.choice(views)
        steep = (abs(view[0]) + abs(view[1])) / 90
        plans.append((cine, view, steep))
    durations = [rng.uniform(3, 6) if cine else rng.expovariate(1.0) for cine, _, _ in plans]
    fluoro_weights = [d for d, (c, _, _) in zip(durations, plans, strict=True) if not c]
    fluoro_durations = iter(_split(rng, fluoro_time, fluoro_weights))
    durations = [
        d if c else next(fluoro_durations) for d, (c, _, _) in zip(durations, plans, strict=True)
    ]
    weights = [d * (1 + 1.5 * s) for d, (_, _, s) in zip(durations, plans, strict=True)]
    cine_total = math.fsum(w for w, (c, _, _) in zip(weights, plans, strict=True) if c)
    fluoro_total = math.fsum(weights) - cine_total
    # Written as the Siemens and Philips rooms report them (and as Kerma's default room settings
    # read them): the sideways travel in "longitudinal", the travel along the table in
    # "lateral" — here the heart at the isocentre, 33–43 cm from the head end of the table —
    # and the table top 16–21 cm below the isocentre.
    table = (rng.uniform(-30, 30), rng.uniform(330, 430), rng.uniform(160, 210))
    events, moment = [], start
    for (cine, view, steep), duration, weight in zip(plans, durations, weights, strict=True):
        share = (
            cine_share * weight / cine_total if cine else ((1 - cine_share) * weight / fluoro_total)
        )
        events.append(
            _cath_event(gen, rng, moment, cine, view, steep, duration, total_dap * share, table)
        )
        moment += timedelta(seconds=duration + rng.uniform(4, 60 if cine else 25))
        table = (table[0] + rng.gauss(0, 2), table[1] + rng.gauss(0, 4), table[2])
    return events


def _cath_event(
    gen: _Generator,
    rng: random.Random,
    moment: datetime,
    cine: bool,
    view: tuple[float, float],
    steep: float,
    duration: float,
    dap: float,
    table: tuple[float, float, float],
) -> ProjectionEvent:
    sid = round(rng.uniform(900, 1200))
    field = float(rng.choice((250, 200, 200, 160)))
    rate = 15.0 if cine else rng.choice((7.5, 15.0, 15.0))
    pulses = max(1, round(duration * rate))
    kvp = round((78 if cine else 72) + 14 * steep + rng.gauss(0, 3), 1)
    rp_side_cm = field / 10 * (765 - 150) / sid
    dap = _sig(max(dap, 1e-4), 5)
    return ProjectionEvent(
        event_type="stationary" if cine else "fluoroscopy",
        start=moment,
        dap_gycm2=dap,
        kar_mgy=_sig(dap * 1000 / (rp_side_cm * rp_side_cm), 5),
        protocol="Coro 15 i/s" if cine else f"Fluoro Cardio {rate:g} i/s",
        primary_angle_deg=round(view[0] + rng.gauss(0, 2), 1),
        secondary_angle_deg=round(view[1] + rng.gauss(0, 2), 1),
        source_isocenter_mm=765.0,
        source_detector_mm=float(sid),
        table_longitudinal_mm=round(table[0], 1),
        table_lateral_mm=round(table[1], 1),
        table_height_mm=round(table[2], 1),
        field_width_mm=field,
        field_height_mm=field,
        field_area_m2=round(field * field / 1e6, 5),
        kvp=min(max(kvp, 70.0), 100.0),
        tube_current_ma=round(rng.uniform(450, 850) if cine else rng.uniform(15, 70), 1),
        pulse_width_ms=round(rng.uniform(5, 8) if cine else rng.uniform(4, 6), 1),
        pulse_rate_per_s=rate,
        number_of_pulses=pulses,
        irradiation_duration_s=round(duration, 2),
        filter_material="copper",
        filter_thickness_mm=rng.choice((0.1, 0.1, 0.2)) if cine else rng.choice((0.4, 0.9, 0.9)),
        target_region="heart",
        event_uid=gen.uid("event"),
    )


# Interventional procedures that reach the follow-up levels (NCRP 168: Ka,r 5 Gy, DAP 500 Gy.cm2,
# fluoroscopy 60 min): (label, fraction of the period, DAP Gy.cm2, fluoroscopy s, views, patient).
# Patient "repeat" has two PCIs 35 days apart, each below the levels, together above them.
_LAO_CRANIAL = ((30.0, 25.0), (35.0, 30.0), (40.0, 20.0))
_FOLLOWUP_CASES: tuple[tuple[str, float, float, float, tuple, str], ...] = (
    ("ANGIOPLASTIE CORONAIRE - CTO", 0.12, 760.0, 3100.0, _LAO_CRANIAL, "a"),
    ("ANGIOPLASTIE CORONAIRE - CTO", 0.30, 690.0, 2700.0, _LAO_CRANIAL, "b"),
    ("ANGIOPLASTIE CORONAIRE COMPLEXE", 0.55, 820.0, 4300.0, (), "c"),
    # Late in the period: still open when the demo starts, as on a real Monday morning.
    ("ANGIOPLASTIE CORONAIRE - CTO", 0.96, 720.0, 3300.0, _LAO_CRANIAL, "d"),
    ("ANGIOPLASTIE CORONAIRE", 0.40, 430.0, 2200.0, _LAO_CRANIAL, "repeat"),
    ("ANGIOPLASTIE CORONAIRE", -35.0, 360.0, 1900.0, _LAO_CRANIAL, "repeat"),
)


def _followup_plan(start: date, days: int) -> list[tuple[datetime, tuple]]:
    """When each follow-up case happens: at its fraction of the period; a negative fraction is
    a number of days after the previous case (the patient's second procedure)."""
    plan: list[tuple[datetime, tuple]] = []
    for case in _FOLLOWUP_CASES:
        where = case[1]
        if where < 0:
            offset = plan[-1][0].date() - start + timedelta(days=min(-where, max(1, days // 2)))
            day = start + timedelta(days=min(offset.days, days - 1))
        else:
            day = start + timedelta(days=int(where * (days - 1)))
        plan.append((datetime.combine(day, time(13, 30)), case))
    return plan


def _followup_cases(
    gen: _Generator, rng: random.Random, plan: list[tuple[datetime, tuple]]
) -> list[Path]:
    """Write the cath lab's long procedures that the follow-up of issue 6 must catch; return
    their files (also appended to ``gen.files``)."""
    spec = next(d for d in DEMO_DEVICES if d.key == "cath_lab")
    device = spec.device()
    persons: dict[str, _Person] = {}
    written = []
    for when, (label, _where, dap, fluoro, views, who) in plan:
        if who not in persons:
            persons[who] = gen.population.new_person(when.date(), child=False, age_range=(58, 82))
        patient = _Population.as_patient(persons[who], spec, rng, when)
        study = _staffed(spec, gen.study(when, label))
        events = _cath_events(
            gen, rng, when + timedelta(minutes=10), pci=True, patient=patient,
            total_dap=dap, fluoro_time=fluoro, views=views,
        )  # fmt: skip
        path = write_projection_rdsr(
            gen.path(spec, study),
            patient,
            device,
            study,
            events,
            kind="fluoroscopy",
            intent="combined",
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            quirks=spec.quirks,
        )
        gen.files.append(path)
        written.append(path)
    return written


_CARM_ACTS: tuple[tuple[str, float, float, tuple[int, int], float, bool], ...] = (
    # description, frequency, median DAP (Gy.cm2), events, median fluoro time (s), vascular
    ("PROTHESE TOTALE DE HANCHE", 18, 0.5, (5, 20), 35, False),
    ("ENCLOUAGE CENTROMEDULLAIRE", 15, 2.5, (20, 60), 120, False),
    ("OSTEOSYNTHESE POIGNET", 14, 0.05, (5, 20), 25, False),
    ("CHOLANGIOGRAPHIE PEROPERATOIRE", 10, 1.0, (5, 15), 40, False),
    ("MONTEE DE SONDE JJ", 14, 0.8, (5, 20), 45, False),
    ("ANGIOPLASTIE MEMBRE INFERIEUR", 10, 12.0, (20, 60), 480, True),
    ("FISTULE ARTERIO-VEINEUSE", 6, 3.0, (10, 40), 240, True),
    ("PACEMAKER", 8, 1.5, (8, 30), 180, False),
    ("VERTEBROPLASTIE", 5, 6.0, (15, 50), 300, False),
)


def _carm_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    description, _, dap_median, (low, high), time_median, vascular = rng.choices(
        _CARM_ACTS, weights=[a[1] for a in _CARM_ACTS]
    )[0]
    patient = gen.population.pick(spec, rng, when)
    study = gen.study(when, description)
    n_events = rng.randint(low, high)
    total_dap = _lognormal(rng, dap_median, 0.7)
    total_time = _lognormal(rng, time_median, 0.6)
    geometry = rng.random() < 0.6  # angles and source-isocentre distance reported or not
    weights = [rng.expovariate(1.0) for _ in range(n_events)]
    durations = _split(rng, total_time, weights)
    daps = _split(rng, total_dap, [w * rng.uniform(0.7, 1.3) for w in weights])
    events, moment = [], when + timedelta(minutes=rng.randint(10, 40))
    for duration, dap in zip(durations, daps, strict=True):
        dsa = vascular and rng.random() < 0.12
        field = float(rng.choice((150, 200, 230)))
        events.append(
            ProjectionEvent(
                event_type="stationary" if dsa else "fluoroscopy",
                start=moment,
                dap_gycm2=_sig(max(dap, 1e-5), 4),
                kar_mgy=_sig(max(dap, 1e-5) * 1000 / (field / 10 * 0.65) ** 2, 4),
                protocol="DSA 2 i/s" if dsa else rng.choice(("Fluoro Standard", "Fluoro Low Dose")),
                primary_angle_deg=round(rng.choice((0, 0, 90, 30, -30)) + rng.gauss(0, 3), 1)
                if geometry
                else None,
                secondary_angle_deg=round(rng.gauss(0, 5), 1) if geometry else None,
                source_isocenter_mm=620.0 if geometry else None,
                source_detector_mm=1164.0,
                field_area_m2=round(field * field / 1e6, 4),
                kvp=round(rng.uniform(60, 95 if vascular else 110), 1),
                tube_current_ma=round(rng.uniform(2, 12) if not dsa else rng.uniform(20, 60), 1),
                pulse_rate_per_s=2.0 if dsa else rng.choice((8.0, 15.0)),
                pulse_width_ms=round(rng.uniform(8, 15), 1),
                number_of_pulses=max(1, round(duration * (2.0 if dsa else 8.0))),
                irradiation_duration_s=round(duration, 1),
                filter_material="copper",
                filter_thickness_mm=0.1,
                target_region="lower_limb" if vascular else None,
                event_uid=gen.uid("event"),
            )
        )
        moment += timedelta(seconds=duration + rng.uniform(20, 240))
    gen.files.append(
        write_projection_rdsr(
            gen.path(spec, study),
            patient,
            device,
            study,
            events,
            kind="fluoroscopy",
            intent="combined" if vascular else "therapeutic",
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            quirks=spec.quirks,
        )
    )


# --------------------------------------------------------------------------------------------
# Nuclear medicine
# --------------------------------------------------------------------------------------------
def _administration(
    gen: _Generator, rng: random.Random, moment: datetime, nuclide: str, agent: str, activity: float
) -> Administration:
    residual = rng.uniform(0.01, 0.05)
    activity = _sig(activity, 3)
    return Administration(
        radionuclide=nuclide,
        radiopharmaceutical=agent,
        activity_mbq=activity,
        start=moment,
        stop=moment + timedelta(seconds=rng.randint(10, 40)),
        pre_activity_mbq=_sig(activity / (1 - residual), 3),
        post_activity_mbq=_sig(activity * residual / (1 - residual), 3),
        volume_ml=round(rng.uniform(0.5, 2.5), 1),
        site_laterality=rng.choice("LR"),
        event_uid=gen.uid("administration"),
    )


def _nm_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    patient = gen.population.pick(spec, rng, when)
    weight = patient.weight_kg or 70.0
    child = patient.age_years is not None and patient.age_years < 18
    kind = (
        "SCINTIGRAPHIE OSSEUSE"
        if child
        else rng.choices(
            (
                "SCINTIGRAPHIE OSSEUSE",
                "SCINTIGRAPHIE MYOCARDIQUE",
                "SCINTIGRAPHIE THYROIDIENNE",
                "SCINTIGRAPHIE PULMONAIRE DE PERFUSION",
                "DATSCAN",
            ),
            weights=(55, 25, 10, 5, 5),
        )[0]
    )
    study = gen.study(when, kind)
    administrations: list[Administration] = []
    if kind == "SCINTIGRAPHIE OSSEUSE":
        agent = rng.choice(
            ("Technetium Tc99m oxidronate",) * 3 + ("Technetium Tc99m medronate",) * 2
        )
        activity = (
            max(40.0, 9.3 * weight) if child else min(max(_lognormal(rng, 640, 0.06), 540), 720)
        )
        administrations.append(_administration(gen, rng, when, "Tc-99m", agent, activity))
    elif kind == "SCINTIGRAPHIE MYOCARDIQUE":
        agent = "Technetium Tc99m tetrofosmin"
        stress = _lognormal(rng, 300 * max(1.0, weight / 80), 0.08)
        administrations.append(_administration(gen, rng, when, "Tc-99m", agent, stress))
        administrations.append(
            _administration(
                gen,
                rng,
                when + timedelta(hours=3, minutes=rng.randint(0, 40)),
                "Tc-99m",
                agent,
                stress * rng.uniform(2.8, 3.2),
            )
        )
    elif kind == "SCINTIGRAPHIE THYROIDIENNE":
        administrations.append(
            _administration(
                gen, rng, when, "Tc-99m", "Sodium pertechnetate Tc99m", _lognormal(rng, 110, 0.15)
            )
        )
    elif kind == "SCINTIGRAPHIE PULMONAIRE DE PERFUSION":
        administrations.append(
            _administration(
                gen,
                rng,
                when,
                "Tc-99m",
                "Technetium Tc99m macroaggregated albumin",
                _lognormal(rng, 170, 0.1),
            )
        )
    else:
        administrations.append(
            _administration(
                gen, rng, when, "I-123", "Ioflupane I^123^", min(_lognormal(rng, 175, 0.05), 190)
            )
        )
    for number, administration in enumerate(administrations, start=1):
        suffix = "" if number == 1 else f"_{number}"
        gen.files.append(
            write_radiopharmaceutical_rdsr(
                gen.path(spec, study, suffix),
                patient,
                device,
                study,
                administration,
                sop_instance_uid=gen.uid("sop"),
                series_instance_uid=gen.uid("series"),
                instance_number=number,
                quirks=spec.quirks,
            )
        )


def _pet_exam(
    gen: _Generator, spec: DemoDevice, device: Device, rng: random.Random, when: datetime
) -> None:
    patient = gen.population.pick(spec, rng, when, child=False)
    weight = patient.weight_kg or 70.0
    study = gen.study(when, "TEP-TDM FDG CORPS ENTIER")
    activity = min(_lognormal(rng, 3.0, 0.08) * weight, 400.0)
    administration = _administration(gen, rng, when, "F-18", "Fluorodeoxyglucose F^18^", activity)
    frame = gen.uid("frame")
    scan = when + timedelta(minutes=rng.randint(55, 75))
    gen.files.append(
        write_pet_image(
            gen.path(spec, study, "_pt"),
            patient,
            device,
            study,
            administration,
            acquired=scan,
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            frame_of_reference_uid=frame,
            quirks=spec.quirks,
        )
    )
    ctdi = _sig(_lognormal(rng, 3.2 * ((weight / 75) ** 0.8), 0.15), 3)
    length = rng.uniform(900, 1100)
    acquisition = CtAcquisition(
        protocol="CT AC CORPS ENTIER",
        target_region="entire_body",
        acquisition_type="spiral",
        start=scan - timedelta(minutes=2),
        ctdivol_mgy=ctdi,
        dlp_mgycm=_sig(ctdi * length / 10),
        phantom=32,
        kvp=120.0,
        tube_current_ma=float(round(ctdi * 20)),
        exposure_time_s=round(length / 45, 1),
        rotation_time_s=0.5,
        pitch=0.83,
        scan_length_mm=round(length),
        single_collimation_mm=0.625,
        total_collimation_mm=40.0,
        event_uid=gen.uid("event"),
    )
    gen.files.append(
        write_ct_image(
            gen.path(spec, study, "_ct"),
            patient,
            device,
            study,
            acquisition,
            sop_instance_uid=gen.uid("sop"),
            series_instance_uid=gen.uid("series"),
            frame_of_reference_uid=frame,
            quirks=spec.quirks,
        )
    )


_EXAMS: dict[str, Callable[[_Generator, DemoDevice, Device, random.Random, datetime], None]] = {
    "ct": _ct_exam,
    "radiography": _radiography_exam,
    "mobile": _mobile_exam,
    "mammography": _mammography_exam,
    "cath": _cath_exam,
    "carm": _carm_exam,
    "nm": _nm_exam,
    "pet": _pet_exam,
}
