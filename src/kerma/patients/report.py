"""The dose section of the exam report (arrêté of 22 September 2006, article 1): per modality
the quantities with their units, the device, and for nuclear medicine the radiopharmaceutical,
radionuclide, administered activity and route (article 2).

Articles 3 to 6 (per-modality content for radiology, interventional, CT) could not be read
here; the quantities chosen for them (DAP, air kerma, fluoroscopy time, CTDIvol, DLP, AGD) are
the dose quantities the device reports, each with its unit, and the section says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kerma.notices import format_value

LEGAL_BASIS = (
    "Arrêté du 22 septembre 2006 (JORF 29/09/2006, NOR SANY0623888A), article 1, 5° "
    "(and article 2 for nuclear medicine)"
)
LEGAL_BASIS_FR = (
    "Arrêté du 22 septembre 2006 (JORF du 29/09/2006, NOR SANY0623888A), article 1, 5° "
    "(et article 2 pour la médecine nucléaire)"
)
NOT_VERIFIED = "articles 3-6 of the arrêté not read: quantities are those the device reports"


@dataclass(frozen=True, slots=True)
class Quantity:
    """One line of the section: a ``name``, its ``value`` and its ``unit``."""

    key: str
    name_en: str
    name_fr: str
    value: Any
    unit: str


@dataclass(frozen=True, slots=True)
class DoseSection:
    """The dose section of one exam."""

    study_uid: str
    study_date: date | None
    modality: str
    procedure: str
    device: dict[str, str]
    quantities: Sequence[Quantity] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Return the section as a structured document (units in ``unit``)."""
        return {
            "study_uid": self.study_uid,
            "study_date": None if self.study_date is None else self.study_date.isoformat(),
            "modality": self.modality,
            "procedure": self.procedure,
            "device": dict(self.device),
            "quantities": [
                {"key": q.key, "name": q.name_en, "value": q.value, "unit": q.unit}
                for q in self.quantities
            ],
            "legal_basis": LEGAL_BASIS,
            "note": NOT_VERIFIED,
        }

    def text(self, language: str = "fr") -> str:
        """Return the section as plain text to paste into the report, in ``language``."""
        fr = language.lower().startswith("fr")
        lines = ["Informations dosimétriques" if fr else "Dose information"]
        serial = self.device.get("serial_number")
        parts = (self.device.get("manufacturer"), self.device.get("model"),
                 serial and ("n° " if fr else "s/n ") + serial, self.device.get("station_name"))
        device = ", ".join(v for v in parts if v) or "—"
        lines.append(f"Appareil : {device}" if fr else f"Device: {device}")
        for q in self.quantities:
            value = format_value(q.value, language)
            name = q.name_fr if fr else q.name_en
            unit = f" {q.unit}" if q.unit else ""
            lines.append(f"{name} : {value}{unit}" if fr else f"{name}: {value}{unit}")
        lines.append(f"Référence : {LEGAL_BASIS_FR}" if fr else f"Reference: {LEGAL_BASIS}")
        return "\n".join(lines)


def _round(value: float | None, digits: int = 2) -> float | None:
    """Return ``value`` rounded for a report (``None`` kept)."""
    return None if value is None else round(float(value), digits)


def dose_section(exam: dict[str, Any], device: dict[str, str],
                 events: Sequence[dict[str, Any]] = ()) -> DoseSection:
    """Return the dose section of an exam given as a mapping of its stored totals.

    ``exam`` keys: ``study_uid``, ``study_date``, ``modality``, ``procedure`` and the totals
    (``dlp_total_mgycm``, ``ctdivol_max_mgy``, ``dap_total_gycm2``, ``kar_total_mgy``,
    ``fluoro_time_s``, ``agd_left_mgy``, ``agd_right_mgy``, ``activity_mbq``, ``radionuclide``,
    ``radiopharmaceutical``); ``events`` give the NM route when the exam has none.
    """
    modality = (exam.get("modality") or "").upper()
    q: list[Quantity] = []

    def add(key: str, en: str, fr: str, value: Any, unit: str) -> None:
        if value not in (None, ""):
            q.append(Quantity(key, en, fr, value, unit))

    if modality == "CT":
        add("ctdivol_max_mgy", "CTDIvol (max)", "IDSV (max)", _round(exam.get("ctdivol_max_mgy")),
            "mGy")
        add("dlp_total_mgycm", "DLP (total)", "PDL (total)", _round(exam.get("dlp_total_mgycm"), 1),
            "mGy.cm")
    elif modality in ("NM", "PT"):
        route = exam.get("route") or next((e.get("route") for e in events if e.get("route")), "")
        add("radiopharmaceutical", "Radiopharmaceutical", "Médicament radiopharmaceutique",
            exam.get("radiopharmaceutical"), "")
        add("radionuclide", "Radionuclide", "Radionucléide", exam.get("radionuclide"), "")
        add("activity_mbq", "Administered activity", "Activité administrée",
            _round(exam.get("activity_mbq"), 1), "MBq")
        add("route", "Route of administration", "Mode d'administration", route, "")
    elif modality == "MG":
        add("agd_left_mgy", "Average glandular dose, left", "Dose glandulaire moyenne, gauche",
            _round(exam.get("agd_left_mgy")), "mGy")
        add("agd_right_mgy", "Average glandular dose, right", "Dose glandulaire moyenne, droit",
            _round(exam.get("agd_right_mgy")), "mGy")
    else:
        add("dap_total_gycm2", "Dose-area product (total)", "Produit dose.surface (total)",
            _round(exam.get("dap_total_gycm2"), 3), "Gy.cm²")
        add("kar_total_mgy", "Air kerma at the reference point", "Kerma dans l'air au point de "
            "référence", _round(exam.get("kar_total_mgy"), 1), "mGy")
        add("fluoro_time_s", "Fluoroscopy time", "Durée de scopie",
            _round(exam.get("fluoro_time_s"), 0), "s")
    return DoseSection(
        study_uid=str(exam.get("study_uid") or ""),
        study_date=exam.get("study_date"),
        modality=modality,
        procedure=str(exam.get("procedure") or ""),
        device=device,
        quantities=tuple(q),
    )
