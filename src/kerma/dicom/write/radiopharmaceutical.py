"""Radiopharmaceutical Radiation Dose SR, TID 10021 / 10022: :func:`write_radiopharmaceutical_rdsr`,
and the radiopharmaceuticals, routes and procedures the writers know."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, NamedTuple

from pydicom.uid import generate_uid

from kerma.dicom import codes as c
from kerma.dicom.codes import Code, sct, srt
from kerma.dicom.write.encoder import (
    RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
    Device,
    Document,
    Encoder,
    Patient,
    Study,
    check_quirks,
    empty_target,
    patient_characteristics,
    save_sr,
)

# Concepts of the radiopharmaceutical report: (SNOMED CT code of the current PS3.16, SNOMED-RT
# code of the 2014 edition, written with the quirk ``srt_codes``).
_NM_PAIRS: dict[str, tuple[Code, Code]] = {
    "associated_procedure": (
        sct("363589002", "Associated Procedure"),
        srt("G-C2D0", "Associated Procedure"),
    ),
    "has_intent": (c.SRT_TO_SCT["G-C0E8"], c.HAS_INTENT),
    "diagnostic_intent": (c.SRT_TO_SCT["R-408C3"], c.INTENTS["diagnostic"]),
    "agent": (c.SRT_TO_SCT["F-61FDB"], c.RADIOPHARMACEUTICAL_AGENT),
    "radionuclide": (c.SRT_TO_SCT["C-10072"], c.RADIONUCLIDE),
    "half_life": (
        sct("304283002", "Radionuclide Half Life"),
        srt("R-42806", "Radionuclide Half Life"),
    ),
    "route": (c.SRT_TO_SCT["G-C340"], c.ROUTE_OF_ADMINISTRATION),
    "site_of": (sct("272737002", "Site of"), srt("G-C581", "Site of")),
    "arm_vein": (sct("261459001", "Via arm vein"), srt("G-D0C6", "Via arm vein")),
    "laterality": (c.SRT_TO_SCT["G-C171"], c.LATERALITY),
    "left": (c.SRT_TO_SCT["G-A101"], c.LEFT),
    "right": (c.SRT_TO_SCT["G-A100"], c.RIGHT),
}
ROUTES: dict[str, tuple[Code, Code, str]] = {
    # key: (SCT, SRT, Radiopharmaceutical Route (0018,1070) text)
    "intravenous": (
        sct("47625008", "Intravenous route"),
        srt("G-D101", "Intravenous route"),
        "IV",
    ),
    "oral": (sct("26643006", "Oral route"), srt("G-D140", "Oral route"), "ORAL"),
    "inhalation": (
        sct("446406008", "By inhalation"),
        srt("R-40B32", "By inhalation"),
        "INHALATION",
    ),
}


class Radiopharmaceutical(NamedTuple):
    """A radiopharmaceutical agent (CID 25 / CID 4021): its codes in both spellings, its
    radionuclide (a key of :data:`~kerma.dicom.codes.RADIONUCLIDES`), its usual procedure (a
    key of :data:`NM_PROCEDURES`) and the label image headers carry."""

    sct: Code
    srt: Code
    nuclide: str
    procedure: str
    label: str  # Radiopharmaceutical (0018,0031) text in image headers


RADIOPHARMACEUTICALS: dict[str, Radiopharmaceutical] = {
    "Technetium Tc99m medronate": Radiopharmaceutical(
        sct("96390006", "Technetium Tc^99m^ medronate"),
        srt("C-B1218", "Technetium Tc^99m^ medronate"),
        "Tc-99m",
        "bone",
        "Tc99m MDP",
    ),
    "Technetium Tc99m oxidronate": Radiopharmaceutical(
        sct("53951001", "Technetium Tc^99m^ oxidronate"),
        srt("C-B1213", "Technetium Tc^99m^ oxidronate"),
        "Tc-99m",
        "bone",
        "Tc99m HDP",
    ),
    "Technetium Tc99m tetrofosmin": Radiopharmaceutical(
        sct("424118002", "Technetium Tc^99m^ tetrofosmin"),
        srt("C-163AD", "Technetium Tc^99m^ tetrofosmin"),
        "Tc-99m",
        "cardiac",
        "Tc99m MYOVIEW",
    ),
    "Technetium Tc99m sestamibi": Radiopharmaceutical(
        sct("424299003", "Technetium Tc^99m^ sestamibi"),
        srt("C-163AB", "Technetium Tc^99m^ sestamibi"),
        "Tc-99m",
        "cardiac",
        "Tc99m MIBI",
    ),
    "Sodium pertechnetate Tc99m": Radiopharmaceutical(
        sct("19495007", "Sodium pertechnetate Tc^99m^"),
        srt("C-B1206", "Sodium pertechnetate Tc^99m^"),
        "Tc-99m",
        "thyroid",
        "Tc99m PERTECH",
    ),
    "Technetium Tc99m macroaggregated albumin": Radiopharmaceutical(
        sct("81761004", "Technetium Tc^99m^ microaggregated albumin"),
        srt("C-B1203", "Technetium Tc^99m^ microaggregated albumin"),
        "Tc-99m",
        "lung",
        "Tc99m MAA",
    ),
    "Ioflupane I^123^": Radiopharmaceutical(
        sct("429296007", "Ioflupane I^123^"),
        srt("C-B07EC", "Ioflupane I^123^"),
        "I-123",
        "brain",
        "DATSCAN",
    ),
    "Sodium iodide I^123^": Radiopharmaceutical(
        sct("67690002", "Sodium iodide I^123^"),
        srt("C-B1081", "Sodium iodide I^123^"),
        "I-123",
        "thyroid",
        "I123 NaI",
    ),
    "Thallous chloride Tl^201^": Radiopharmaceutical(
        sct("73685002", "Thallous chloride Tl^201^"),
        srt("C-B1231", "Thallous chloride Tl^201^"),
        "Tl-201",
        "cardiac",
        "Tl201",
    ),
    "Fluorodeoxyglucose F^18^": Radiopharmaceutical(
        sct("35321007", "Fluorodeoxyglucose F^18^"),
        srt("C-B1031", "Fluorodeoxyglucose F^18^"),
        "F-18",
        "pet_tumour",
        "FDG -- fluorodeoxyglucose",
    ),
}
_AGENT_ALIASES: dict[str, str] = {
    "mdp": "Technetium Tc99m medronate",
    "hdp": "Technetium Tc99m oxidronate",
    "hmdp": "Technetium Tc99m oxidronate",
    "tetrofosmin": "Technetium Tc99m tetrofosmin",
    "myoview": "Technetium Tc99m tetrofosmin",
    "sestamibi": "Technetium Tc99m sestamibi",
    "mibi": "Technetium Tc99m sestamibi",
    "pertechnetate": "Sodium pertechnetate Tc99m",
    "maa": "Technetium Tc99m macroaggregated albumin",
    "datscan": "Ioflupane I^123^",
    "ioflupane": "Ioflupane I^123^",
    "nai123": "Sodium iodide I^123^",
    "thallium": "Thallous chloride Tl^201^",
    "fdg": "Fluorodeoxyglucose F^18^",
}
NM_PROCEDURES: dict[str, tuple[Code, Code]] = {
    "bone": (
        sct("68796002", "Radioisotope study of musculoskeletal system"),
        srt("P5-D1000", "Radioisotope study of musculoskeletal system"),
    ),
    "cardiac": (
        sct("108294005", "Nuclear medicine cardiovascular study"),
        srt("P5-D30F8", "Nuclear medicine cardiovascular study"),
    ),
    "thyroid": (
        sct("7562007", "Radioisotope study of endocrine system"),
        srt("P5-D6000", "Radioisotope study of endocrine system"),
    ),
    "lung": (
        sct("19086005", "Radioisotope study of respiratory system"),
        srt("P5-D2000", "Radioisotope study of respiratory system"),
    ),
    "renal": (
        sct("76927004", "Radioisotope study of genitourinary system"),
        srt("P5-D7000", "Radioisotope study of genitourinary system"),
    ),
    "brain": (
        sct("45316007", "Radionuclide localization of tumor"),
        srt("P5-D0061", "Radionuclide localization of tumor"),
    ),
    "pet_tumour": (
        sct("241443006", "PET study for localization of tumor"),
        srt("P5-0A00A", "PET study for localization of tumor"),
    ),
}


@dataclass(frozen=True)
class Administration:
    """One radiopharmaceutical administration (TID 10022).

    ``radionuclide`` a key of :data:`~kerma.dicom.codes.RADIONUCLIDES` (``Tc-99m``, ``F-18``...);
    ``radiopharmaceutical`` a key of :data:`RADIOPHARMACEUTICALS` or a code meaning
    (``Technetium Tc99m medronate``, ``Fluorodeoxyglucose F^18^``...); ``activity_mbq``,
    ``pre_activity_mbq`` and ``post_activity_mbq`` in MBq; ``volume_ml`` in mL (cm3).
    """

    radionuclide: str
    radiopharmaceutical: str
    activity_mbq: float
    start: datetime
    stop: datetime | None = None
    route: Literal["intravenous", "oral", "inhalation"] = "intravenous"
    pre_activity_mbq: float | None = None
    post_activity_mbq: float | None = None
    volume_ml: float | None = None
    site_laterality: Literal["L", "R"] | None = "L"
    event_uid: str | None = None


# --------------------------------------------------------------------------------------------
# Radiopharmaceutical: TID 10021 / 10022
# --------------------------------------------------------------------------------------------
def find_agent(name: str) -> Radiopharmaceutical:
    """Look a radiopharmaceutical up by key or code meaning (case and ^ insensitive)."""

    def norm(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    wanted = norm(name)
    if wanted in _AGENT_ALIASES:
        return RADIOPHARMACEUTICALS[_AGENT_ALIASES[wanted]]
    for key, agent in RADIOPHARMACEUTICALS.items():
        if wanted in (norm(key), norm(agent.sct.meaning), norm(agent.label)):
            return agent
    raise ValueError(f"unknown radiopharmaceutical {name!r}; known: {sorted(RADIOPHARMACEUTICALS)}")


def find_nuclide(name: str) -> c.Radionuclide:
    """Return the radionuclide of that short name (``Tc-99m``, ``F-18``...), or a ValueError."""
    try:
        return c.RADIONUCLIDES[name]
    except KeyError:
        known = sorted(c.RADIONUCLIDES)
        raise ValueError(f"unknown radionuclide {name!r}; known: {known}") from None


def write_radiopharmaceutical_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    administration: Administration,
    *,
    procedure: str | None = None,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 998,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Radiopharmaceutical Radiation Dose report (TID 10021) and return its path.

    The report holds one administration (TID 10022: agent, radionuclide and half-life in s,
    event UID, start / stop date-times, administered activity in MBq, volume in cm3,
    pre- and post-administration measured activities in MBq, route and site), the
    associated procedure (a key of :data:`NM_PROCEDURES`, by default the agent's usual one)
    and the patient characteristics (TID 10024: age, sex, height in cm, weight in kg). A
    1-day stress/rest protocol is two reports in the same study.
    """
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    legacy = "srt_codes" in quirks
    pick = 1 if legacy else 0
    agent = find_agent(administration.radiopharmaceutical)
    nuclide = find_nuclide(administration.radionuclide)
    procedure = procedure or agent.procedure
    if procedure not in NM_PROCEDURES:
        raise ValueError(f"unknown NM procedure {procedure!r}; known: {sorted(NM_PROCEDURES)}")
    nm = {key: pair[pick] for key, pair in _NM_PAIRS.items()}
    enc = Encoder(
        implicit="implicit_vr" in quirks,
        empty_concept=empty_target(quirks, nm["half_life"]),
        empty_mode="value" if "empty_numeric_value" in quirks else "sequence",
    )
    rel = "CONTAINS"
    items = [
        enc.code(
            "HAS CONCEPT MOD",
            nm["associated_procedure"],
            NM_PROCEDURES[procedure][pick],
            [enc.code("HAS CONCEPT MOD", nm["has_intent"], nm["diagnostic_intent"])],
        ),
        enc.container(
            rel,
            c.RADIOPHARMACEUTICAL_ADMINISTRATION,
            _administration_items(enc, administration, agent, nuclide, nm, pick),
        ),
        patient_characteristics(enc, patient, quirks),
    ]
    end = administration.stop or administration.start
    return save_sr(
        path,
        doc,
        sop_class_uid=RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
        root_concept=c.RADIOPHARMACEUTICAL_DOSE_REPORT,
        template_id="10021",
        items=items,
        report_datetime=report_datetime or end + timedelta(minutes=2),
    )


def _administration_items(
    enc: Encoder,
    adm: Administration,
    agent: Radiopharmaceutical,
    nuclide: c.Radionuclide,
    nm: dict[str, Code],
    pick: int,
) -> list[bytes]:
    """Content of TID 10022 Radiopharmaceutical Administration Event Data."""
    rel = "CONTAINS"
    items = [
        enc.code(
            rel,
            nm["agent"],
            (agent.sct, agent.srt)[pick],
            [
                enc.code("HAS PROPERTIES", nm["radionuclide"], (nuclide.sct, nuclide.srt)[pick]),
                enc.num("HAS PROPERTIES", nm["half_life"], nuclide.half_life_s, c.U_S),
            ],
        ),
        enc.uidref(rel, c.ADMINISTRATION_EVENT_UID, adm.event_uid or generate_uid()),
        enc.datetime(rel, c.RADIOPHARMACEUTICAL_START, adm.start),
    ]
    if adm.stop is not None:
        items.append(enc.datetime(rel, c.RADIOPHARMACEUTICAL_STOP, adm.stop))
    items.append(enc.num(rel, c.ADMINISTERED_ACTIVITY, adm.activity_mbq, c.U_MBQ))
    for concept, value, unit in (
        (c.RADIOPHARMACEUTICAL_VOLUME, adm.volume_ml, c.U_CM3),
        (c.PRE_ADMINISTRATION_ACTIVITY, adm.pre_activity_mbq, c.U_MBQ),
        (c.POST_ADMINISTRATION_ACTIVITY, adm.post_activity_mbq, c.U_MBQ),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    try:
        route = ROUTES[adm.route]
    except KeyError:
        raise ValueError(f"unknown administration route {adm.route!r}") from None
    site: list[bytes] = []
    if adm.route == "intravenous":
        side = []
        if adm.site_laterality is not None:
            side_code = nm["left"] if adm.site_laterality == "L" else nm["right"]
            side.append(enc.code("HAS CONCEPT MOD", nm["laterality"], side_code))
        site.append(enc.code("HAS PROPERTIES", nm["site_of"], nm["arm_vein"], side))
    items.append(enc.code(rel, nm["route"], route[pick], site))
    return items
