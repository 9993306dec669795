"""The yearly plan from the database, with the flags only the database can raise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from kerma.notices import Notice, notice
from kerma.nrd import Device as PlanDevice
from kerma.nrd import DeviceActivity, EvaluationRecord, InspectorFlag, ProtocolMapper, plan_year
from kerma.nrd.plan import group_of
from kerma.nrd.rules import DECISION_2019
from kerma.nrd.wording import family_word, group_word, set_word
from kerma.reference.vocabulary import Population
from kerma.web.audit.log import jsonable
from kerma.web.dose.models import Device, Exam
from kerma.web.nrd.models import Evaluation, ProtocolMapping
from kerma.web.nrd.references import active_by_family, listed_acts
from kerma.web.nrd.services.devices import device_family, device_unit, settings_of


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


def _flag(code: str, severity: str, message: Notice, device: Any = None, act: Any = None) -> dict:
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
                        notice(
                            "nrd.flag.unknown_family",
                            device=str(device),
                            category=device.category,
                            year=year,
                        ),
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
            problems = e.sign_off_notices()
            severity = "nonconformity" if e.exceeds_nrd and problems else "warning"
            about = {"evaluation": e.pk, "act": e.act_code, "device": e.device_label}
            if not problems:
                text = notice("nrd.flag.not_signed", **about)
            else:
                first, *more = [p.to_dict() for p in problems]
                both = notice("nrd.problem.both", first=first, second=more[0]) if more else None
                why = both.to_dict() if both else first
                text = notice("nrd.flag.not_signed_because", **about, problems=why)
            flags.append(_flag("not_signed", severity, text, e.device_id, e.act_code))
        for action in e.actions.all():
            if not action.done and action.due_date < as_of:
                flags.append(
                    _flag(
                        "action_overdue",
                        "warning",
                        notice(
                            "nrd.flag.action_overdue",
                            evaluation=e.pk,
                            act=e.act_code,
                            description=action.description[:60],
                            owner=action.owner,
                            due=action.due_date.isoformat(),
                        ),
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
                    notice(
                        "nrd.flag.reference_gap_missing" if gaps else "nrd.flag.reference_gap",
                        device=d.name,
                        set=set_word(active.reference_set),
                        family=family_word(d.family),
                        **({"missing": "; ".join(gaps)} if gaps else {}),
                    ),
                    int(d.id),
                )
            )
        elif active.status and active.status != "in_force" and str(d.id) in activity:
            flags.append(
                _flag(
                    "reference_not_in_force",
                    "warning",
                    notice(
                        "nrd.flag.reference_not_in_force",
                        device=d.name,
                        group=group_word(group_of(d.family)),
                        set=set_word(active.reference_set),
                    ),
                    int(d.id),
                )
            )
    return flags
