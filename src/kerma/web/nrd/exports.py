"""An evaluation as the per-patient data IRSN asks for, in XLSX (openpyxl) and CSV.

What IRSN's NRD platform asks for could only be partly verified (``../shared/reference/
irsn_fields.md``): the dosimetric quantity of each patient, weight and height, the radiological
parameters and the installation (radiology); the administered activity and the radiopharmaceutical
(nuclear medicine); CTDIvol and DLP of the one helix (CT). The export gives those, plus age, sex
and BMI (which show the patient is in the sample's population), one row per patient in sampling
order, values in the decision's units as the column headers say.

The XLSX workbook has three sheets: ``Patients`` (the per-patient rows), ``Évaluation`` (device,
act, population, period, reference set with version and status, sample size, results with the
median, VGD, NRD and status, the analysis, justification, corrective actions and sign-off) and
``Exclus`` (each exam left out, with its reason). The CSV file holds the per-patient rows only
(UTF-8 with a byte-order mark so spreadsheet programs read the accents, comma-separated, dot
decimals).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kerma.reference.vocabulary import display_unit
from kerma.spreadsheet import csv_writer, xlsx_row
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import device_info
from kerma.web.wording import word

STATUS_FR = {
    "below_vgd": "inférieure à la VGD",
    "between": "entre VGD et NRD",
    "below_nrd": "inférieure ou égale au NRD",
    "above_nrd": "supérieure au NRD",
    "no_reference": "pas de valeur de référence",
    "no_data": "pas de données",
}
QUANTITY_FR = {
    "ctdivol": "IDSV / CTDIvol",
    "dlp": "PDL / DLP",
    "dap": "PDS",
    "esd": "De",
    "agd": "DMG",
    "fluoro_time": "Durée de scopie",
    "activity": "Activité administrée",
    "activity_per_mass": "Activité massique",
}

Getter = Callable[[dict[str, Any]], Any]


def _acq(key: str) -> Getter:
    return lambda row: (row.get("acquisition") or {}).get(key)


def _filtration(row: dict[str, Any]) -> str:
    acq = row.get("acquisition") or {}
    material, thickness = acq.get("filter_material"), acq.get("filter_thickness_mm")
    if not material and thickness is None:
        return ""
    return f"{material or ''} {'' if thickness is None else f'{thickness:g} mm'}".strip()


def _height_cm(row: dict[str, Any]) -> float | None:
    height = row["patient"].get("height_m")
    return None if height is None else round(height * 100, 1)


ACQUISITION_COLUMNS: dict[str, list[tuple[str, Getter]]] = {
    "ct": [
        ("Protocole de l'acquisition", _acq("protocol")),
        ("Type d'acquisition", _acq("acquisition_type")),
        ("Fantôme IDSV (cm)", _acq("phantom_cm")),
        ("Tension (kV)", _acq("kvp_kv")),
        ("Charge (mAs)", _acq("exposure_mas")),
        ("Pitch", _acq("pitch")),
        ("Longueur explorée (mm)", _acq("scan_length_mm")),
        ("Collimation (mm)", _acq("collimation_mm")),
    ],
    "radiography": [
        ("Protocole de l'acquisition", _acq("protocol")),
        ("Tension (kV)", _acq("kvp_kv")),
        ("Charge (mAs)", _acq("exposure_mas")),
        ("Distance foyer-détecteur (mm)", _acq("source_detector_mm")),
        ("Filtration", _filtration),
        ("Surface du champ (cm²)", _acq("field_area_cm2")),
    ],
    "mammography": [
        ("Protocole de l'acquisition", _acq("protocol")),
        ("Tension (kV)", _acq("kvp_kv")),
        ("Charge (mAs)", _acq("exposure_mas")),
        ("Épaisseur comprimée (mm)", _acq("compression_thickness_mm")),
        ("Filtration", _filtration),
    ],
    "interventional": [("Procédure", lambda row: row.get("procedure"))],
    "nuclear_medicine": [
        ("Radiopharmaceutique", lambda row: row.get("radiopharmaceutical")),
        ("Radionucléide", lambda row: row.get("radionuclide")),
    ],
}
ACQUISITION_COLUMNS["dental"] = ACQUISITION_COLUMNS["radiography"]


def value_header(result: dict[str, Any]) -> str:
    """Return the column header of a quantity, e.g. ``"PDS (mGy·cm²)"``."""
    name = QUANTITY_FR.get(result["quantity"], result["quantity"])
    indicative = " — indicatif" if result.get("indicative") else ""
    return f"{name} ({display_unit(result['unit'])}){indicative}"


def patient_columns(evaluation: Evaluation) -> list[tuple[str, Getter]]:
    """Return the per-patient columns of ``evaluation``: (header, getter of a selected row)."""
    columns: list[tuple[str, Getter]] = [
        ("N°", lambda row: row["_rank"]),
        ("Date de l'examen", lambda row: row.get("study_date")),
        ("Âge (ans)", lambda row: _round(row["patient"].get("age_years"), 1)),
        ("Sexe", lambda row: row["patient"].get("sex")),
        ("Poids (kg)", lambda row: row["patient"].get("weight_kg")),
        ("Taille (cm)", _height_cm),
        ("IMC (kg/m²)", lambda row: row["patient"].get("bmi")),
    ]
    for result in evaluation.results:
        quantity = result["quantity"]
        columns.append(
            (value_header(result), lambda row, q=quantity: _round(row["values"].get(q), 6))
        )
    columns.extend(ACQUISITION_COLUMNS.get(evaluation.family, []))
    columns.append(("Acquisition retenue (UID)", lambda row: row.get("event_uid")))
    columns.append(("Étude (UID)", lambda row: row.get("study_uid")))
    return columns


def _round(value: Any, digits: int) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def patient_rows(evaluation: Evaluation) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and the per-patient rows of ``evaluation``, in sampling order."""
    columns = patient_columns(evaluation)
    rows = []
    for rank, item in enumerate(evaluation.selected, start=1):
        item = {**item, "_rank": rank, "patient": item.get("patient") or {}}
        rows.append([_cell(get(item)) for _, get in columns])
    return [header for header, _ in columns], rows


def _cell(value: Any) -> Any:
    return "" if value is None else value


def summary_rows(evaluation: Evaluation) -> list[list[Any]]:
    """Return the ``Évaluation`` sheet as rows of cells."""
    device = device_info(evaluation.device)
    category = evaluation.category or {}
    rows: list[list[Any]] = [
        ["Évaluation", f"#{evaluation.pk}, version {evaluation.version}"],
        ["Unité", device["unit"]],
        ["Dispositif", device["name"]],
        [
            "Fabricant / modèle / n° de série",
            " / ".join(str(device[k] or "") for k in ("manufacturer", "model", "serial_number")),
        ],
        ["Acte", f"{evaluation.act_code} — {evaluation.act_label}"],
        ["Population", "adultes" if evaluation.population == "adult" else "enfants"],
        ["Catégorie de poids", category.get("label", "") if category else ""],
        ["Période", f"du {evaluation.period_from:%d/%m/%Y} au {evaluation.period_to:%d/%m/%Y}"],
        [
            "Référentiel",
            f"{evaluation.reference_set} ({evaluation.reference_status or 'statut inconnu'}), "
            f"{evaluation.reference_version}",
        ],
        ["Effectif requis", evaluation.required_n],
        ["Effectif retenu", evaluation.n_selected],
        ["Échantillon complet", "oui" if evaluation.complete else "non"],
        [],
        ["Grandeur", "Unité", "Médiane", "VGD", "NRD", "Position", "Référence", "Source"],
    ]
    for r in evaluation.results:
        rows.append(
            [
                QUANTITY_FR.get(r["quantity"], r["quantity"])
                + (" (indicatif)" if r.get("indicative") else ""),
                display_unit(r["unit"]),
                _cell(r.get("median")),
                _cell(r.get("vgd")),
                _cell(r.get("nrd")),
                STATUS_FR.get(r["status"], r["status"]),
                word(r.get("reference_notice"), "fr", r.get("reference", "")),
                r.get("reference_source", ""),
            ]
        )
    rows += [
        [],
        ["Analyse", evaluation.analysis],
        ["Justification du dépassement", evaluation.justification],
        [],
        ["Action corrective", "Responsable", "Échéance", "Réalisée", "Le", "Par"],
    ]
    for a in evaluation.actions.all():
        rows.append(
            [
                a.description,
                a.owner,
                a.due_date,
                "oui" if a.done else "non",
                a.done_at.date() if a.done_at else "",
                a.done_by,
            ]
        )
    rows += [
        [],
        ["Validée par (RAN)", evaluation.signed_by or "non validée"],
        ["Le", evaluation.signed_at.strftime("%d/%m/%Y %H:%M") if evaluation.signed_at else ""],
        ["Version précédente", f"#{evaluation.previous_id}" if evaluation.previous_id else ""],
    ]
    # The notices in French; an evaluation stored before notices has its English messages.
    for message in evaluation.notices or evaluation.messages:
        rows.append(["Remarque", word(message, "fr")])
    return rows


def write_csv(evaluation: Evaluation, path: str | Path) -> Path:
    """Write the per-patient rows of ``evaluation`` to ``path`` (CSV) and return the path."""
    path = Path(path)
    headers, rows = patient_rows(evaluation)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(evaluation: Evaluation, path: str | Path) -> Path:
    """Write ``evaluation`` to ``path`` as an XLSX workbook (three sheets) and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    workbook = Workbook()
    patients = workbook.active
    patients.title = "Patients"
    headers, rows = patient_rows(evaluation)
    patients.append(headers)
    for row in rows:
        patients.append(xlsx_row(patients, row))
    for cell in patients[1]:
        cell.font = Font(bold=True)
    patients.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        patients.column_dimensions[patients.cell(1, index).column_letter].width = max(
            10, min(40, len(header) + 2)
        )

    summary = workbook.create_sheet("Évaluation")
    for row in summary_rows(evaluation):
        summary.append(xlsx_row(summary, row))
    summary.column_dimensions["A"].width = 32
    summary.column_dimensions["B"].width = 60

    excluded = workbook.create_sheet("Exclus")
    excluded.append(["Étude (UID)", "Motif", "Code"])
    for cell in excluded[1]:
        cell.font = Font(bold=True)
    for item in evaluation.excluded:
        reason = item.get("reason_fr") or item["reason"]
        excluded.append(xlsx_row(excluded, [item["study_uid"], reason, item["code"]]))
    workbook.save(path)
    return path


def export(evaluation: Evaluation, fmt: str, path: str | Path) -> Path:
    """Write ``evaluation`` as ``fmt`` (``xlsx`` or ``csv``) to ``path``; ValueError otherwise."""
    if fmt == "xlsx":
        return write_xlsx(evaluation, path)
    if fmt == "csv":
        return write_csv(evaluation, path)
    raise ValueError(f"unknown export format {fmt!r}: choose xlsx or csv")


def default_name(evaluation: Evaluation, fmt: str) -> str:
    """Return a file name such as ``nrd-12-v1-RX-THORAX-PA-adult-2024.xlsx``."""
    return (
        f"nrd-{evaluation.pk}-v{evaluation.version}-{evaluation.act_code}-"
        f"{evaluation.population}-{evaluation.period_from.year}.{fmt}"
    )
