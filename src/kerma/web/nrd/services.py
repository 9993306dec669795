"""The shell around the pure NRD core: ORM rows in, plain records to :mod:`kerma.nrd`, snapshots
out.

- :func:`iter_exam_records` streams one device's exams of a period to the core, in chronological
  order, reading only the columns the rules need, window by window, so that an evaluation stops
  reading as soon as its sample is complete (test exams are left out in the query);
- :func:`run_evaluation` runs :func:`kerma.nrd.evaluate` on them with the reference set that
  applies and the device's mapping rules; :func:`save_evaluation` stores the snapshot;
  :func:`rerun` and :func:`refresh_drafts` recompute drafts after a remapping;
- :func:`year_plan` computes the yearly plan from the database (perimeter, activity per device
  and act, evaluations on record) with the flags an inspector would raise;
- :func:`unmapped_listing` lists the procedure names no rule maps, with counts and likely acts;
  :func:`add_mapping` stores a rule.

Device ids given to the core are the devices' primary keys as text; the JSON gives them as numbers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from kerma.nrd import (
    Acquisition,
    Administration,
    DeviceActivity,
    EvaluationRecord,
    ExamRecord,
    InspectorFlag,
    MappingRule,
    ProtocolMapper,
    evaluate,
    plan_year,
    suggest_acts,
)
from kerma.nrd import Device as PlanDevice
from kerma.nrd import Evaluation as CoreEvaluation
from kerma.nrd.plan import group_of
from kerma.nrd.rules import DECISION_2019
from kerma.reference.tables import Act
from kerma.reference.vocabulary import Family, Population
from kerma.units import bmi
from kerma.web.audit.log import jsonable
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.models import (
    CorrectiveAction,
    DeviceSettings,
    Evaluation,
    ProtocolMapping,
)
from kerma.web.nrd.references import (
    ActiveReference,
    active_by_family,
    listed_acts,
    reference_for_act,
)

# The family of acts a device performs, from its category (a user may set it per device).
FAMILY_BY_CATEGORY: dict[str, Family | None] = {
    Device.Category.CT: Family.CT,
    Device.Category.RADIOGRAPHY: Family.RADIOGRAPHY,
    Device.Category.RADIOGRAPHY_MOBILE: Family.RADIOGRAPHY,
    Device.Category.MAMMOGRAPHY: Family.MAMMOGRAPHY,
    Device.Category.FLUOROSCOPY: Family.INTERVENTIONAL,
    Device.Category.MOBILE_CARM: Family.INTERVENTIONAL,
    Device.Category.NUCLEAR_MEDICINE: Family.NUCLEAR_MEDICINE,
    Device.Category.PET: Family.NUCLEAR_MEDICINE,
    Device.Category.OTHER: None,
}

# The kind of event rows an act's family reads (None: per-procedure totals, no event needed).
EVENT_KIND: dict[Family, str | None] = {
    Family.CT: "ct",
    Family.RADIOGRAPHY: "projection",
    Family.DENTAL: "projection",
    Family.MAMMOGRAPHY: "projection",
    Family.INTERVENTIONAL: None,
    Family.NUCLEAR_MEDICINE: "nm",
}

EXAM_COLUMNS = (
    "id",
    "study_uid",
    "study_date",
    "study_time",
    "procedure",
    "age_years",
    "weight_kg",
    "height_m",
    "dap_total_gycm2",
    "fluoro_time_s",
    "activity_mbq",
)
ACQUISITION_COLUMNS = (
    "exam_id",
    "uid",
    "acquisition_type",
    "event_type",
    "protocol",
    "started",
    "ctdivol_mgy",
    "dlp_mgycm",
    "phantom_cm",
    "dap_gycm2",
    "agd_mgy",
)
ADMINISTRATION_COLUMNS = ("exam_id", "uid", "activity_mbq", "radiopharmaceutical", "started")
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
FIRST_WINDOW_DAYS = 16
MAX_WINDOW_DAYS = 512
_TIME = re.compile(r"^(\d{2}):?(\d{2})?:?(\d{2})?(?:[.,](\d{1,6}))?$")


# ---- devices ----------------------------------------------------------------------------------


def settings_of(device: Device) -> DeviceSettings | None:
    """Return the device's NRD settings row, None when the defaults apply."""
    try:
        return device.nrd_settings
    except DeviceSettings.DoesNotExist:
        return None


def device_family(device: Device) -> Family | None:
    """Return the family of acts of ``device``: its settings, else from its category."""
    settings = settings_of(device)
    if settings is not None and settings.family:
        return Family(settings.family)
    return FAMILY_BY_CATEGORY.get(device.category)


def device_unit(device: Device) -> str:
    """Return the imaging unit of ``device``: its settings, else institution and department."""
    settings = settings_of(device)
    if settings is not None and settings.unit:
        return settings.unit
    return " / ".join(p for p in (device.institution, device.department) if p)


def device_info(device: Device) -> dict[str, Any]:
    """Return ``{id, name, manufacturer, model, serial_number, …}`` for JSON and exports."""
    settings = settings_of(device)
    family = device_family(device)
    return {
        "id": device.pk,
        "name": str(device),
        "manufacturer": device.manufacturer,
        "model": device.model,
        "serial_number": device.serial_number,
        "station_name": device.station_name,
        "institution": device.institution,
        "category": device.category,
        "family": family.value if family else None,
        "unit": device_unit(device),
        "in_perimeter": settings.in_perimeter if settings else True,
    }


def set_device_settings(device: Device, *, by: str, **values: Any) -> DeviceSettings:
    """Create or update the device's NRD settings (``in_perimeter``, ``family``, ``unit``,
    ``first_year``); audited."""
    settings = settings_of(device) or DeviceSettings(device=device)
    for name, value in values.items():
        if value is not None:
            setattr(settings, name, value)
    settings.updated_by = by
    settings.save(actor=by)
    device.nrd_settings = settings
    return settings


# ---- mapping ----------------------------------------------------------------------------------


def mapping_rules(device_id: int | None = None) -> list[MappingRule]:
    """Return the stored rules (those of ``device_id`` and those for every device, when given)."""
    rows = ProtocolMapping.objects.all()
    if device_id is not None:
        rows = rows.filter(Q(device_id=device_id) | Q(device__isnull=True))
    return [row.to_rule() for row in rows.order_by("priority", "id")]


def protocol_mapper(device_id: int | None = None) -> ProtocolMapper:
    """Return the :class:`ProtocolMapper` of the stored rules (see :func:`mapping_rules`)."""
    return ProtocolMapper(mapping_rules(device_id))


def known_act(code: str) -> Act | None:
    """Return the act ``code`` from the sets in use (or any loaded or shipped set), or None."""
    return reference_for_act(code)[1]


def add_mapping(
    *,
    by: str,
    pattern: str,
    act_code: str,
    device: Device | None = None,
    kind: str = "contains",
    priority: int = 100,
    case_sensitive: bool = False,
    note: str = "",
    refresh: bool = True,
) -> tuple[ProtocolMapping, int]:
    """Store a mapping rule (validated, audited) and re-run the drafts it may change.

    Returns the rule and the number of draft evaluations re-run. Raises ValueError for an act no
    reference set knows, django ValidationError for an invalid pattern.
    """
    if known_act(act_code) is None:
        raise ValueError(f"act {act_code!r} is in no reference set: check the code")
    rule = ProtocolMapping(
        device=device,
        kind=kind,
        pattern=pattern,
        act_code=act_code,
        priority=priority,
        case_sensitive=case_sensitive,
        note=note,
        created_by=by,
    )
    with transaction.atomic():
        rule.save(actor=by)
    refreshed = refresh_drafts(by=by, device_id=device.pk if device else None) if refresh else 0
    return rule, refreshed


# ---- exams to records ---------------------------------------------------------------------------


def parse_study_time(text: str | None) -> time | None:
    """Return the time of a DICOM TM (``HHMMSS.ffffff``, ``HHMM``, ``HH:MM:SS``), or None."""
    if not text:
        return None
    match = _TIME.match(text.strip())
    if not match:
        return None
    hh, mm, ss, frac = match.groups()
    try:
        return time(
            int(hh), int(mm or 0), min(int(ss or 0), 59), int((frac or "0").ljust(6, "0")[:6])
        )
    except ValueError:
        return None


@dataclass
class StreamStats:
    """What :func:`iter_exam_records` read: windows (queries), exam rows, records yielded."""

    windows: int = 0
    rows: int = 0
    yielded: int = 0
    exam_ids: dict[str, int] = field(default_factory=dict)


def iter_exam_records(
    device_id: int,
    act_code: str,
    family: Family,
    mapper: ProtocolMapper,
    period_from: date,
    period_to: date,
    *,
    stats: StreamStats | None = None,
    first_window_days: int = FIRST_WINDOW_DAYS,
) -> Iterator[ExamRecord]:
    """Yield the device's exams of [period_from, period_to] for an evaluation of ``act_code``.

    Exams come in the core's chronological order (date, time — unknown first —, study UID),
    read window by window (16 days, then doubling) with only the columns the rules need; test
    exams are left out by the query. Only exams mapped to the act (with their acquisitions or
    administrations) and exams mapped to no act (which the core lists apart) are yielded; names
    are mapped once per name. The caller stops reading by not asking for more.
    """
    stats = stats if stats is not None else StreamStats()
    device_key = str(device_id)
    names: dict[str, str | None] = {}

    def act_of(name: str) -> str | None:
        if name not in names:
            names[name] = mapper.act_for(device_key, name)
        return names[name]

    kind = EVENT_KIND.get(family)
    base = Exam.objects.filter(device_id=device_id, is_test=False)
    start, span = period_from, max(1, first_window_days)
    while start <= period_to:
        end = min(period_to, start + timedelta(days=span - 1))
        rows = list(
            base.filter(study_date__gte=start, study_date__lte=end).values_list(*EXAM_COLUMNS)
        )
        stats.windows += 1
        stats.rows += len(rows)
        start, span = end + timedelta(days=1), min(span * 2, MAX_WINDOW_DAYS)
        keep = [(row, act_of(row[4] or "")) for row in rows]
        keep = [(row, code) for row, code in keep if code is None or code == act_code]
        if not keep:
            continue
        ids = [row[0] for row, code in keep if code == act_code]
        events = _events(ids, kind, act_of) if kind and ids else {}
        records = []
        for row, code in keep:
            (pk, uid, day, tm, procedure, age, weight, height, dap, fluoro, activity) = row
            acquisitions: tuple[Acquisition, ...] = ()
            administrations: tuple[Administration, ...] = ()
            if code is not None and kind == "nm":
                administrations = tuple(events.get(pk, ()))
            elif code is not None and kind:
                acquisitions = tuple(events.get(pk, ()))
            records.append(
                ExamRecord(
                    study_uid=uid,
                    study_date=day,
                    study_time=parse_study_time(tm),
                    device_id=device_key,
                    act_code=code,
                    procedure=procedure or "",
                    age_years=age,
                    weight_kg=weight,
                    height_m=height,
                    acquisitions=acquisitions,
                    dap_total_gycm2=dap,
                    fluoro_time_s=fluoro,
                    activity_mbq=activity,
                    administrations=administrations,
                )
            )
            stats.exam_ids[uid] = pk
        records.sort(key=lambda r: r.sort_key)
        for record in records:
            stats.yielded += 1
            yield record


def _events(
    exam_ids: list[int], kind: str, act_of: Callable[[str], str | None]
) -> dict[int, list[Any]]:
    """Return the acquisitions (or administrations) of the exams, keyed by exam id, in order."""
    result: dict[int, list[Any]] = defaultdict(list)
    columns = ADMINISTRATION_COLUMNS if kind == "nm" else ACQUISITION_COLUMNS
    for chunk_start in range(0, len(exam_ids), 500):
        chunk = exam_ids[chunk_start : chunk_start + 500]
        rows = (
            Event.objects.filter(exam_id__in=chunk, kind=kind)
            .order_by("exam_id", "started", "id")
            .values_list(*columns)
        )
        for row in rows:
            if kind == "nm":
                exam_id, uid, activity, pharmaceutical, started = row
                result[exam_id].append(Administration(uid, activity, pharmaceutical or "", started))
                continue
            (
                exam_id,
                uid,
                acq_type,
                event_type,
                protocol,
                started,
                ctdi,
                dlp,
                phantom,
                dap,
                agd,
            ) = row
            result[exam_id].append(
                Acquisition(
                    event_uid=uid,
                    acquisition_type=(acq_type if kind == "ct" else event_type) or "",
                    protocol=protocol or "",
                    started=started,
                    ctdivol_mgy=ctdi,
                    dlp_mgycm=dlp,
                    phantom_cm=phantom,
                    dap_gycm2=dap,
                    agd_mgy=agd,
                    act_code=act_of(protocol) if protocol else None,
                )
            )
    return result


# ---- evaluations --------------------------------------------------------------------------------


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
    notes: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        """The core's messages, then the shell's (device and act of different families)."""
        return [*self.evaluation.messages, *self.notes]

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
        return jsonable(data)


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
    if period_to < period_from:
        raise ValueError(f"the period ends ({period_to}) before it starts ({period_from})")
    reference, act = reference_for_act(act_code, reference_name)
    if act is None:
        raise ValueError(f"act {act_code!r} is in no reference set: check the code")
    rules = mapping_rules(device.pk)
    stats = StreamStats()
    records = iter_exam_records(
        device.pk, act.code, act.family, ProtocolMapper(rules), period_from, period_to, stats=stats
    )
    result = evaluate(
        records,
        act=act,
        reference_set=reference.reference_set,
        population=population,
        category=category,
        device_id=str(device.pk),
        period_from=period_from,
        period_to=period_to,
        overrides=dict(overrides or {}),
        excluded_by_user=set(excluded_by_user),
        presorted=True,
    )
    notes = []
    family = device_family(device)
    if family is not None and family != act.family:
        notes.append(
            f"device {device} performs {family.value} acts; {act.code} is a {act.family.value} "
            "act: check the device and the act"
        )
    return EvaluationRun(
        notes=notes,
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


def _content(run: EvaluationRun) -> dict[str, Any]:
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
    evaluation = Evaluation(**_content(run), created_by=by)
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
    for name, value in _content(run).items():
        if name not in ("analysis", "justification"):
            setattr(evaluation, name, value)
    evaluation.save(actor=by, audit_action="rerun")
    return evaluation


def refresh_drafts(*, by: str, device_id: int | None = None) -> int:
    """Re-run every draft (unsigned) evaluation of ``device_id`` (all devices when None)."""
    drafts = (
        Evaluation.objects.filter(signed_at__isnull=True)
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


# ---- the yearly plan ----------------------------------------------------------------------------


def plan_device(device: Device) -> PlanDevice | None:
    """Return the plan's view of ``device`` (None when its family of acts is unknown)."""
    family = device_family(device)
    if family is None:
        return None
    settings = settings_of(device)
    return PlanDevice(
        id=str(device.pk),
        family=family,
        name=str(device),
        unit=device_unit(device),
        in_perimeter=settings.in_perimeter if settings else True,
        first_year=settings.first_year if settings else None,
    )


def year_activity(
    year: int,
    devices: list[Device],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, DeviceActivity]:
    """Return each device's activity in ``year``: exams, paediatric exams, exams per act.

    One grouped query (counts per device and procedure name, test exams left out), names mapped
    with each device's rules, all rules read once. Paediatric: age < 18 years; unknown age
    counts as adult.
    """
    limit = DECISION_2019.adult_age_min_years
    rows = (
        Exam.objects.filter(
            device_id__in=[d.pk for d in devices],
            is_test=False,
            study_date__gte=date(year, 1, 1),
            study_date__lte=date(year, 12, 31),
        )
        .values("device_id", "procedure")
        .annotate(
            total=Count("id"),
            paediatric=Count("id", filter=Q(age_years__lt=limit)),
            unknown=Count("id", filter=Q(age_years__isnull=True)),
        )
        .order_by()
    )
    by_device: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_device[row["device_id"]].append(row)
    all_rules = list(ProtocolMapping.objects.order_by("priority", "id"))
    result: dict[str, DeviceActivity] = {}
    for index, device in enumerate(devices):
        mapper = ProtocolMapper(
            [r.to_rule() for r in all_rules if r.device_id in (None, device.pk)]
        )
        total = paediatric = unknown = 0
        acts: dict[tuple[str, Population], int] = defaultdict(int)
        for row in by_device.get(device.pk, []):
            total += row["total"]
            paediatric += row["paediatric"]
            unknown += row["unknown"]
            code = mapper.act_for(str(device.pk), row["procedure"] or "")
            if code:
                acts[(code, Population.ADULT)] += row["total"] - row["paediatric"]
                acts[(code, Population.PAEDIATRIC)] += row["paediatric"]
        if total:
            result[str(device.pk)] = DeviceActivity(
                str(device.pk), year, total, paediatric, dict(acts), unknown
            )
        if progress:
            progress(index + 1, len(devices))
    return result


def current_evaluations() -> list[Evaluation]:
    """Return the evaluations on record: the latest version of each (superseded ones left out)."""
    return list(
        Evaluation.objects.filter(next_version__isnull=True)
        .defer("selected", "excluded", "unmapped", "mapping_rules")
        .select_related("device")
        .prefetch_related("actions")
        .order_by("period_from", "id")
    )


def _flag(code: str, severity: str, message: str, device: Any = None, act: Any = None) -> dict:
    return InspectorFlag(code, severity, message, device, act).to_dict()


def year_plan(
    year: int,
    *,
    as_of: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    device_ids: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Return the plan of ``year`` as JSON data: items and inspector flags.

    ``device_ids`` narrows the plan to those devices (a user's units); None means every device.

    Devices: every stored device whose family of acts is known, with its NRD settings (in the
    perimeter unless the RAN put it outside). Activity: :func:`year_activity`. Evaluations: the
    latest version of each (a superseded one no longer counts), dated by the start of its period;
    a draft counts as done but is flagged until the RAN signs it off.

    Adds to the core's flags what only the database knows: evaluations not signed, exceedances
    without justification or actions, corrective actions overdue, devices whose family the set in
    use has no act for, sets that are not in force, devices of unknown family.
    """
    as_of = as_of or timezone.localdate()
    devices_query = Device.objects.select_related("nrd_settings").order_by("id")
    if device_ids is not None:
        devices_query = devices_query.filter(pk__in=list(device_ids))
    devices = list(devices_query)
    plan_devices: list[PlanDevice] = []
    flags: list[dict[str, Any]] = []
    activity = year_activity(year, devices, progress=progress)
    for device in devices:
        pd = plan_device(device)
        if pd is None:
            if str(device.pk) in activity:
                flags.append(
                    _flag(
                        "unknown_family",
                        "warning",
                        f"device {device} ({device.category}) has exams in {year} but no family "
                        "of acts: set its category or its NRD settings",
                        device.pk,
                    )
                )
            continue
        plan_devices.append(pd)
    shown = {d.pk for d in devices}
    evaluations = [e for e in current_evaluations() if e.device_id in shown]
    records = [
        EvaluationRecord(
            device_id=str(e.device_id),
            act_code=e.act_code,
            population=Population(e.population),
            date=e.period_from,
            evaluation_id=e.pk,
            complete=e.complete,
            category=e.category_code or None,
        )
        for e in evaluations
    ]
    acts = listed_acts()
    plan = plan_year(
        year,
        plan_devices,
        activity,
        records,
        as_of=as_of,
        listed_acts={code: act.label for code, act in acts.items()},
    )
    data = plan.to_dict()
    by_id = {e.pk: e for e in evaluations}
    for item in data["items"]:
        device = item["device"]
        if device.get("id") is not None:
            device["id"] = int(device["id"])
        device["candidates"] = [int(c) for c in device.get("candidates", [])]
        evaluation = by_id.get(item["evaluation_id"])
        item["evaluation"] = _evaluation_summary(evaluation) if evaluation else None
    for flag in data["flags"]:
        if flag["device_id"] is not None and str(flag["device_id"]).isdigit():
            flag["device_id"] = int(flag["device_id"])
    flags.extend(_shell_flags(year, plan_devices, activity, evaluations, as_of))
    data["flags"].extend(flags)
    references = active_by_family()
    data["reference_sets"] = {
        f.value: {"name": a.name, "version": a.version, "status": a.status}
        for f, a in references.items()
    }
    return jsonable(data)


def _evaluation_summary(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.pk,
        "version": evaluation.version,
        "signed": evaluation.is_signed,
        "signed_by": evaluation.signed_by or None,
        "complete": evaluation.complete,
        "exceeds_nrd": evaluation.exceeds_nrd,
        "reference_set": evaluation.reference_set,
        "results": [
            {k: r.get(k) for k in ("quantity", "unit", "median", "vgd", "nrd", "status")}
            for r in evaluation.results
        ],
    }


def _shell_flags(
    year: int,
    devices: list[PlanDevice],
    activity: Mapping[str, DeviceActivity],
    evaluations: list[Evaluation],
    as_of: date,
) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    for e in evaluations:
        if e.period_from.year != year:
            continue
        if not e.is_signed:
            problems = e.sign_off_problems()
            severity = "nonconformity" if e.exceeds_nrd and problems else "warning"
            text = f"evaluation #{e.pk} of {e.act_code} on {e.device_label} is not signed off"
            if problems:
                text += ": " + "; ".join(problems)
            flags.append(_flag("not_signed", severity, text, e.device_id, e.act_code))
        for action in e.actions.all():
            if not action.done and action.due_date < as_of:
                flags.append(
                    _flag(
                        "action_overdue",
                        "warning",
                        f"evaluation #{e.pk} ({e.act_code}): corrective action "
                        f"{action.description[:60]!r} owned by {action.owner} was due on "
                        f"{action.due_date.isoformat()}",
                        e.device_id,
                        e.act_code,
                    )
                )
    references = active_by_family()
    for d in devices:
        if not d.in_perimeter:
            continue
        active = references[d.family]
        if not active.reference_set.acts(d.family):
            gaps = [g.what for g in active.reference_set.gaps if g.modality == d.family.value]
            flags.append(
                _flag(
                    "reference_gap",
                    "warning",
                    f"device {d.name}: the reference set {active.reference_set.label} lists no "
                    f"{d.family.value} act"
                    + (f" (missing: {'; '.join(gaps)})" if gaps else "")
                    + ": load the values from the official text or choose another set",
                    int(d.id),
                )
            )
        elif active.status and active.status != "in_force" and str(d.id) in activity:
            flags.append(
                _flag(
                    "reference_not_in_force",
                    "warning",
                    f"device {d.name}: {group_of(d.family)} acts are compared with "
                    f"{active.reference_set.label}, not the regulation in force",
                    int(d.id),
                )
            )
    return flags


# ---- unmapped names ----------------------------------------------------------------------------


def unmapped_listing(
    *,
    device: Device | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    limit: int = 3,
    device_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Return the procedure names no rule maps, per device, most frequent first.

    ``device_ids`` narrows the listing to those devices (a user's units).

    Each: ``device`` {id, name}, ``name``, ``count`` (exams, test exams left out) and
    ``suggestions`` (likely acts of the device's family from the set in use, best first).
    """
    rows = Exam.objects.filter(is_test=False)
    if device is not None:
        rows = rows.filter(device=device)
    if device_ids is not None:
        rows = rows.filter(device_id__in=list(device_ids))
    if period_from is not None:
        rows = rows.filter(study_date__gte=period_from)
    if period_to is not None:
        rows = rows.filter(study_date__lte=period_to)
    counts = rows.values("device_id", "procedure").annotate(n=Count("id")).order_by()
    devices = {d.pk: d for d in Device.objects.select_related("nrd_settings")}
    mappers: dict[int, ProtocolMapper] = {}
    references = active_by_family()
    result: list[dict[str, Any]] = []
    for row in counts:
        device_id, name = row["device_id"], row["procedure"] or ""
        mapper = mappers.get(device_id) or mappers.setdefault(device_id, protocol_mapper(device_id))
        if mapper.match(str(device_id), name) is not None:
            continue
        dev = devices[device_id]
        family = device_family(dev)
        if family is not None:
            acts = references[family].reference_set.acts(family)
        else:
            acts = [a for r in references.values() for a in r.reference_set.acts()]
        suggestions = (
            suggest_acts(name, acts, family=family.value if family else None, limit=limit)
            if name
            else []
        )
        result.append(
            {
                "device": {"id": device_id, "name": str(dev)},
                "name": name,
                "count": row["n"],
                "suggestions": [
                    {"act": s.act_code, "label": s.act_label, "score": s.score} for s in suggestions
                ],
            }
        )
    result.sort(key=lambda u: (-u["count"], u["device"]["id"], u["name"]))
    return result


# ---- corrective actions -------------------------------------------------------------------------


def add_action(
    evaluation: Evaluation, *, by: str, description: str, owner: str, due_date: date
) -> CorrectiveAction:
    """Add a corrective action to a draft evaluation (audited)."""
    action = CorrectiveAction(
        evaluation=evaluation,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    action.save(actor=by)
    return action
