"""Manual entry of an NRD evaluation: typed, pasted or spreadsheet rows → a stored evaluation.

The rows are read by the pure :mod:`kerma.nrd.manual` (:func:`parse_rows`, :func:`split_text`,
:func:`read_upload`; its docstring lists the columns and units);
:func:`run_manual_evaluation` runs the same rules as the ORM-based evaluations (eligibility,
consecutive sample, medians, comparison) and :func:`save_manual_evaluation` stores the snapshot
through the same audited save, marked as manually entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kerma.notices import notice
from kerma.nrd.manual import (
    FAMILY_COLUMNS,
    ManualEntryError,
    ParsedRows,
    RowError,
    cell_of,
    expected_header,
    parse_rows,
    read_upload,
    split_text,
)
from kerma.nrd.rules import EVALUATED_QUANTITIES
from kerma.nrd.wording import NoticeError, family_word
from kerma.reference.vocabulary import Population
from kerma.units import bmi
from kerma.web.audit.log import jsonable
from kerma.web.dose.models import Device
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import (
    EvaluationRun,
    StreamStats,
    device_notes,
    evaluate_records,
    evaluation_content,
    resolve_act,
)

# Re-exported: the page and the CLI read the rows through this module.
__all__ = [
    "SOURCE",
    "ManualEntryError",
    "ManualRun",
    "RowError",
    "expected_header",
    "is_manual",
    "manual_record",
    "parse_rows",
    "read_upload",
    "run_manual_evaluation",
    "save_manual_evaluation",
    "split_text",
]

SOURCE = "manual entry"

@dataclass
class ManualRun(EvaluationRun):
    """An evaluation of typed rows: the run, plus the rows as typed."""

    parsed: ParsedRows | None = None
    filename: str = ""


def run_manual_evaluation(
    device: Device,
    act_code: str,
    cells: Iterable[Sequence[str]],
    *,
    population: Population | str = Population.ADULT,
    category: str | None = None,
    period_from: date,
    period_to: date,
    reference_name: str | None = None,
    filename: str = "",
) -> ManualRun:
    """Evaluate typed rows of ``act_code`` on ``device`` with the decision's rules.

    Raises ManualEntryError for unreadable rows, ValueError for an unknown act or weight
    category or a period that ends before it starts.
    """
    reference, act = resolve_act(
        act_code, period_from=period_from, period_to=period_to, reference_name=reference_name
    )
    if act.family not in FAMILY_COLUMNS or act.family not in EVALUATED_QUANTITIES:
        raise NoticeError("nrd.error.not_by_hand", family=family_word(act.family))
    parsed = parse_rows(
        cells, act, device_id=str(device.pk), period_from=period_from, period_to=period_to
    )
    result = evaluate_records(
        parsed.records,
        device=device,
        act=act,
        reference=reference,
        population=population,
        category=category,
        period=(period_from, period_to),
    )
    notes = [notice("nrd.evaluation.manual_source", n=len(parsed.records))]
    notes.extend(device_notes(device, act))
    by_uid = {r.study_uid: r for r in parsed.records}
    rows_by_uid = {r["study_uid"]: r for r in parsed.raw}
    selected = []
    for item in result.selected:
        record = by_uid[item.study_uid]
        raw = rows_by_uid[item.study_uid]
        value = bmi(record.weight_kg, record.height_m)
        data = item.to_dict()
        data["patient"] = {
            "age_years": record.age_years,
            "sex": cell_of(raw, "sex"),
            "weight_kg": record.weight_kg,
            "height_m": record.height_m,
            "bmi": None if value is None else round(value, 1),
        }
        data["procedure"] = SOURCE
        data["radionuclide"] = ""
        data["radiopharmaceutical"] = ""
        data["acquisition"] = None
        data["manual_row"] = raw["row"]
        selected.append(jsonable(data))
    return ManualRun(
        evaluation=result,
        device=device,
        reference=reference,
        rules=[],
        selected=selected,
        overrides={},
        excluded_by_user=[],
        stats=StreamStats(rows=len(parsed.records), yielded=len(parsed.records)),
        notes=notes,
        parsed=parsed,
        filename=filename,
    )


def manual_record(run: ManualRun, *, by: str, at: datetime | None = None) -> dict[str, Any]:
    """Return what is kept of the entry: source, who, when, file, units and the raw rows."""
    parsed = run.parsed
    assert parsed is not None
    return jsonable(
        {
            "source": SOURCE,
            "entered_by": by,
            "entered_at": at or timezone.now(),
            "filename": run.filename,
            "header": parsed.header,
            "units": parsed.units,
            "rows": parsed.raw,
        }
    )


def save_manual_evaluation(run: ManualRun, *, by: str) -> Evaluation:
    """Store the run as a new draft evaluation (audited, like the others), marked as manual.

    The entry (who, when, file, header, units, raw rows) is kept in ``manual_entry`` and the
    evaluation's ``source`` is ``manual``: it is never re-run from the dose archive.
    """
    content = evaluation_content(run)
    excluded = list(content["excluded"])
    rows = {r["study_uid"]: r["row"] for r in run.parsed.raw} if run.parsed else {}
    content["excluded"] = [{**e, "manual_row": rows.get(e.get("study_uid"))} for e in excluded]
    content["source"] = "manual"
    content["manual_entry"] = manual_record(run, by=by)
    evaluation = Evaluation(**content, created_by=by)
    with transaction.atomic():
        evaluation.save(actor=by)
    return evaluation


def is_manual(evaluation: Evaluation) -> bool:
    """True when ``evaluation`` was entered by hand (see :func:`save_manual_evaluation`)."""
    return evaluation.source == "manual"
