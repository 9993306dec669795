"""Evaluations: run the core on the stored exams, store, re-run and read back the snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from kerma.notices import Notice, notice
from kerma.nrd import Evaluation as CoreEvaluation
from kerma.nrd import ExamRecord, MappingRule, ProtocolMapper, evaluate
from kerma.nrd.wording import NoticeError, family_word
from kerma.reference.tables import Act
from kerma.reference.vocabulary import Population
from kerma.units import bmi
from kerma.web.audit.log import jsonable
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.authority import devices_of_actor
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.references import ActiveReference, reference_for_act
from kerma.web.nrd.services.devices import device_family, device_info
from kerma.web.nrd.services.mappings import mapping_rules
from kerma.web.nrd.services.records import StreamStats, iter_exam_records

# What the export shows of the chosen acquisition (IRSN asks for the radiological parameters).
DETAIL_COLUMNS = (
    "protocol",
    "acquisition_type",
    "event_type",
    "target_region",
    "ctdivol_mgy",
    "dlp_mgycm",
    "phantom_cm",
    "dap_gycm2",
    "agd_mgy",
    "kvp_kv",
    "exposure_mas",
    "tube_current_ma",
    "exposure_time_s",
    "pitch",
    "scan_length_mm",
    "collimation_mm",
    "source_detector_mm",
    "field_area_cm2",
    "filter_material",
    "filter_thickness_mm",
    "compression_thickness_mm",
    "radionuclide",
    "radiopharmaceutical",
    "activity_mbq",
)


@dataclass
class EvaluationRun:
    """An evaluation computed from the database, not yet stored (or being re-run)."""

    evaluation: CoreEvaluation
    device: Device
    reference: ActiveReference
    rules: list[MappingRule]
    selected: list[dict[str, Any]]
    overrides: dict[str, str]
    excluded_by_user: list[str]
    stats: StreamStats
    notes: list[Notice] = field(default_factory=list)

    @property
    def notices(self) -> list[Notice]:
        """The core's notices, then the shell's (device and act of different families)."""
        return [*self.evaluation.notices, *self.notes]

    @property
    def messages(self) -> list[str]:
        """:attr:`notices` in English (the JSON's ``messages``)."""
        return [n.text("en") for n in self.notices]

    @property
    def exceeds_nrd(self) -> bool:
        """True when a (non-indicative) median is above its NRD."""
        return any(r.status == "above_nrd" and not r.indicative for r in self.evaluation.results)

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation JSON: the core's, with the device as an object, the reference
        set's version, and each selected exam's patient and acquisition details."""
        data = self.evaluation.to_dict()
        data["device"] = device_info(self.device)
        data["reference_version"] = self.reference.version
        data["selected"] = self.selected
        data["exceeds_nrd"] = self.exceeds_nrd
        data["overrides"] = dict(self.overrides)
        data["excluded_by_user"] = list(self.excluded_by_user)
        data["messages"] = self.messages
        data["notices"] = [n.to_dict() for n in self.notices]
        return jsonable(data)


def resolve_act(
    act_code: str,
    *,
    period_from: date,
    period_to: date,
    reference_name: str | None = None,
) -> tuple[ActiveReference, Act]:
    """Return the reference set that applies to ``act_code`` (or ``reference_name``) and the act.

    The prologue of every evaluation, from the archive or typed by hand. Raises ValueError for
    an act no reference set knows or a period that ends before it starts.
    """
    if period_to < period_from:
        raise NoticeError("nrd.error.period_reversed", end=str(period_to), start=str(period_from))
    reference, act = reference_for_act(act_code.strip(), reference_name)
    if act is None:
        raise NoticeError("nrd.error.unknown_act", act=act_code)
    return reference, act


def device_notes(device: Device, act: Act) -> list[Notice]:
    """Return the shell's notes on an evaluation of ``act`` on ``device`` (families that differ)."""
    family = device_family(device)
    if family is not None and family != act.family:
        return [
            notice(
                "nrd.evaluation.family_mismatch",
                device=str(device),
                family=family_word(family),
                act=act.code,
                act_family=family_word(act.family),
            )
        ]
    return []


def evaluate_records(
    records: Iterable[ExamRecord],
    *,
    device: Device,
    act: Act,
    reference: ActiveReference,
    population: Population | str,
    category: str | None,
    period: tuple[date, date],
    **options: Any,
) -> CoreEvaluation:
    """Return :func:`kerma.nrd.evaluate` of ``records`` for ``act`` on ``device`` over ``period``
    (first and last day) with the reference set in use; ``options`` go to the core as they are."""
    return evaluate(
        records,
        act=act,
        reference_set=reference.reference_set,
        population=population,
        category=category,
        device_id=str(device.pk),
        period_from=period[0],
        period_to=period[1],
        **options,
    )


def run_evaluation(
    device: Device,
    act_code: str,
    *,
    population: Population | str = Population.ADULT,
    category: str | None = None,
    period_from: date,
    period_to: date,
    overrides: Mapping[str, str] | None = None,
    excluded_by_user: list[str] | tuple[str, ...] = (),
    reference_name: str | None = None,
) -> EvaluationRun:
    """Evaluate ``act_code`` for ``population`` on ``device`` over [period_from, period_to].

    The reference set is the one chosen for the act's family (or ``reference_name``); the exams
    are mapped with the device's rules. Raises ValueError for an unknown act or weight category,
    or a period that ends before it starts.
    """
    reference, act = resolve_act(
        act_code, period_from=period_from, period_to=period_to, reference_name=reference_name
    )
    rules = mapping_rules(device.pk)
    stats = StreamStats()
    records = iter_exam_records(
        device.pk, act.code, act.family, ProtocolMapper(rules), period_from, period_to, stats=stats
    )
    result = evaluate_records(
        records,
        device=device,
        act=act,
        reference=reference,
        population=population,
        category=category,
        period=(period_from, period_to),
        overrides=dict(overrides or {}),
        excluded_by_user=set(excluded_by_user),
        presorted=True,
    )
    return EvaluationRun(
        notes=device_notes(device, act),
        evaluation=result,
        device=device,
        reference=reference,
        rules=rules,
        selected=_selected_details(result, stats.exam_ids),
        overrides=dict(overrides or {}),
        excluded_by_user=list(excluded_by_user),
        stats=stats,
    )


def _selected_details(result: CoreEvaluation, exam_ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """Return the selected exams as JSON, each with its patient and acquisition details."""
    ids = [exam_ids[s.study_uid] for s in result.selected if s.study_uid in exam_ids]
    patients = {
        row[0]: row[1:]
        for row in Exam.objects.filter(id__in=ids).values_list(
            "id",
            "age_years",
            "sex",
            "weight_kg",
            "height_m",
            "procedure",
            "radionuclide",
            "radiopharmaceutical",
        )
    }
    wanted = {(exam_ids.get(s.study_uid), s.event_uid) for s in result.selected if s.event_uid}
    details: dict[tuple[int, str], dict[str, Any]] = {}
    if wanted:
        rows = Event.objects.filter(
            exam_id__in=[e for e, _ in wanted], uid__in=[u for _, u in wanted]
        ).values("exam_id", "uid", *DETAIL_COLUMNS)
        for row in rows:
            key = (row.pop("exam_id"), row.pop("uid"))
            if key in wanted:
                details[key] = row
    selected = []
    for item in result.selected:
        pk = exam_ids.get(item.study_uid)
        age, sex, weight, height, procedure, nuclide, pharmaceutical = patients.get(pk, (None,) * 7)
        data = item.to_dict()
        data["patient"] = {
            "age_years": age,
            "sex": sex or "",
            "weight_kg": weight,
            "height_m": height,
            "bmi": None if bmi(weight, height) is None else round(bmi(weight, height), 1),
        }
        data["procedure"] = procedure or ""
        data["radionuclide"] = nuclide or ""
        data["radiopharmaceutical"] = pharmaceutical or ""
        data["acquisition"] = details.get((pk, item.event_uid)) if item.event_uid else None
        selected.append(jsonable(data))
    return selected


def evaluation_content(run: EvaluationRun) -> dict[str, Any]:
    """Return the model fields of a run (see :class:`Evaluation`)."""
    core = run.evaluation
    data = core.to_dict()
    return {
        "device": run.device,
        "device_label": str(run.device),
        "act_code": core.act,
        "act_label": core.act_label,
        "family": core.family.value,
        "population": core.population.value,
        "category_code": core.category.code if core.category else "",
        "category": data["category"],
        "period_from": core.period_from,
        "period_to": core.period_to,
        "reference_set": core.reference_set,
        "reference_version": run.reference.version,
        "reference_status": core.reference_status,
        "required_n": core.required_n,
        "n_selected": len(core.selected),
        "complete": core.complete,
        "selected": run.selected,
        "excluded": data["excluded"],
        "unmapped": data["unmapped"],
        "results": data["results"],
        "messages": run.messages,
        "notices": [n.to_dict() for n in run.notices],
        "overrides": dict(run.overrides),
        "excluded_by_user": list(run.excluded_by_user),
        "mapping_rules": jsonable(
            [
                {
                    "id": r.rule_id,
                    "device_id": r.device_id,
                    "kind": r.kind.value,
                    "pattern": r.pattern,
                    "act_code": r.act_code,
                    "priority": r.priority,
                }
                for r in run.rules
            ]
        ),
        "exceeds_nrd": run.exceeds_nrd,
    }


def save_evaluation(run: EvaluationRun, *, by: str) -> Evaluation:
    """Store the run as a new draft evaluation (audited) and return it."""
    evaluation = Evaluation(**evaluation_content(run), created_by=by)
    with transaction.atomic():
        evaluation.save(actor=by)
    return evaluation


class ManualEvaluationError(PermissionDenied):
    """A change that needs the dose archive, asked of an evaluation entered by hand."""


def rerun(
    evaluation: Evaluation,
    *,
    by: str,
    overrides: Mapping[str, str] | None = None,
    excluded_by_user: list[str] | None = None,
) -> Evaluation:
    """Recompute a draft with the current mapping and reference set (and new physicist's
    choices, when given); a signed evaluation raises FrozenEvaluationError (supersede it).
    A manually entered evaluation has no archive to re-run from: ManualEvaluationError."""
    if evaluation.source == "manual":
        raise ManualEvaluationError(
            "this evaluation was entered by hand: enter the rows again to change it"
        )
    run = run_evaluation(
        evaluation.device,
        evaluation.act_code,
        population=evaluation.population,
        category=evaluation.category_code or None,
        period_from=evaluation.period_from,
        period_to=evaluation.period_to,
        overrides=evaluation.overrides if overrides is None else overrides,
        excluded_by_user=(
            evaluation.excluded_by_user if excluded_by_user is None else excluded_by_user
        ),
    )
    for name, value in evaluation_content(run).items():
        if name not in ("analysis", "justification"):
            setattr(evaluation, name, value)
    evaluation.save(actor=by, audit_action="rerun")
    return evaluation


def refresh_drafts(*, by: str, device_id: int | None = None) -> int:
    """Re-run every draft (unsigned) evaluation of ``device_id`` (all devices when None) that
    ``by`` may see, in ``by``'s name; return how many were re-run."""
    drafts = (
        Evaluation.objects.filter(signed_at__isnull=True)
        .filter(devices_of_actor(by))
        .exclude(source="manual")
        .select_related("device")
    )
    if device_id is not None:
        drafts = drafts.filter(device_id=device_id)
    count = 0
    for draft in drafts:
        rerun(draft, by=by)
        count += 1
    return count


def evaluation_to_dict(evaluation: Evaluation) -> dict[str, Any]:
    """Return a stored evaluation as the evaluation JSON, with its state and history."""
    actions = list(evaluation.actions.all())
    nxt = evaluation.superseded_by
    return jsonable(
        {
            "id": evaluation.pk,
            "version": evaluation.version,
            "previous": evaluation.previous_id,
            "superseded_by": nxt.pk if nxt else None,
            "device": device_info(evaluation.device),
            "act": evaluation.act_code,
            "act_label": evaluation.act_label,
            "family": evaluation.family,
            "population": evaluation.population,
            "category": evaluation.category,
            "from": evaluation.period_from,
            "to": evaluation.period_to,
            "reference_set": evaluation.reference_set,
            "reference_version": evaluation.reference_version,
            "reference_status": evaluation.reference_status,
            "required_n": evaluation.required_n,
            "n": evaluation.n_selected,
            "complete": evaluation.complete,
            "selected": evaluation.selected,
            "excluded": evaluation.excluded,
            "unmapped": evaluation.unmapped,
            "results": evaluation.results,
            "messages": evaluation.messages,
            "notices": evaluation.notices,
            "overrides": evaluation.overrides,
            "excluded_by_user": evaluation.excluded_by_user,
            "exceeds_nrd": evaluation.exceeds_nrd,
            "analysis": evaluation.analysis,
            "justification": evaluation.justification,
            "actions": [
                {
                    "id": a.pk,
                    "description": a.description,
                    "owner": a.owner,
                    "due_date": a.due_date,
                    "done": a.done,
                    "done_at": a.done_at,
                    "done_by": a.done_by,
                    "overdue": a.overdue,
                }
                for a in actions
            ],
            "created_by": evaluation.created_by,
            "created_at": evaluation.created_at,
            "signed_by": evaluation.signed_by or None,
            "signed_at": evaluation.signed_at,
            "retained_until": evaluation.retained_until,
            "sign_off_problems": [] if evaluation.is_signed else evaluation.sign_off_problems(),
        }
    )
