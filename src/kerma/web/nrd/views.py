"""Pages of the NRD evaluations: the yearly plan, the evaluations (list, new, detail with the
analysis, actions, sign-off and supersede, exports), the protocol mappings and the reference sets.

Every page is readable by any signed-in user (an inspector included); every POST needs a
permission: ``nrd.add_evaluation`` to run one, ``nrd.change_evaluation`` to write the analysis and
actions or supersede, ``nrd.sign_evaluation`` (the RAN) to sign off, ``nrd.add_protocolmapping`` /
``nrd.delete_protocolmapping`` for the rules, ``nrd.add_storedreferenceset`` to load a reference
file and ``nrd.change_referencechoice`` to choose the set that applies. A user without the
permission (an inspector) gets 403. The work is done by :mod:`kerma.web.nrd.services` and
:mod:`kerma.web.nrd.references`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kerma.reference.loader import ReferenceSetError
from kerma.reference.vocabulary import Family
from kerma.spreadsheet import csv_writer
from kerma.web.accounts.history import object_trail
from kerma.web.accounts.scope import (
    device_filter,
    get_visible_or_404,
    sees_all_units,
    visible,
    visible_device_ids,
)
from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Event
from kerma.web.nrd import exports
from kerma.web.nrd.authority import may_change_every_device
from kerma.web.nrd.forms import (
    ActionForm,
    AnalysisForm,
    EvaluationForm,
    EventChoiceForm,
    ExcludeForm,
    MappingForm,
    ReferenceUploadForm,
)
from kerma.web.nrd.models import (
    CorrectiveAction,
    Evaluation,
    FrozenEvaluationError,
    ProtocolMapping,
)
from kerma.web.nrd.references import (
    DEFAULT_SET,
    active_by_family,
    describe_sets,
    import_reference,
    known_names,
    load_named,
    use_reference,
)
from kerma.web.nrd.services import (
    add_action,
    add_mapping,
    current_evaluations,
    remove_mapping,
    rerun,
    run_evaluation,
    save_evaluation,
    unmapped_listing,
    year_plan,
)
from kerma.web.nrd.templatetags.nrd_notices import reason, word
from kerma.web.params import as_int, int_param

STATUS_LABELS = {
    "below_vgd": gettext_lazy("below the VGD"),
    "between": gettext_lazy("between VGD and NRD"),
    "below_nrd": gettext_lazy("below the NRD"),
    "above_nrd": gettext_lazy("above the NRD"),
    "no_reference": gettext_lazy("no reference value"),
    "no_data": gettext_lazy("no data"),
}
WORST_FIRST = ("above_nrd", "between", "below_nrd", "below_vgd", "no_reference", "no_data")
PLAN_LABELS = {
    "done": gettext_lazy("done"),
    "due": gettext_lazy("due"),
    "late": gettext_lazy("late"),
    "not_required": gettext_lazy("not required"),
}
REQUIREMENT_LABELS = {
    "outside_perimeter": gettext_lazy("outside the perimeter"),
    "no_listed_act": gettext_lazy("no listed act performed"),
    "device_adult_acts": gettext_lazy("adult act of the device"),
    "device_paediatric_act": gettext_lazy("paediatric act of the device"),
    "unit_adult_acts": gettext_lazy("adult act of the unit"),
    "unit_paediatric_act": gettext_lazy("paediatric act of the unit"),
    "five_year": gettext_lazy("every device once in 5 years"),
}
POPULATION_LABELS = {"adult": gettext_lazy("adult"), "paediatric": gettext_lazy("paediatric")}
QUANTITY_LABELS = {
    "ctdivol": "CTDIvol",
    "dlp": gettext_lazy("DLP"),
    "dap": gettext_lazy("DAP"),
    "esd": gettext_lazy("Entrance dose"),
    "agd": gettext_lazy("AGD"),
    "fluoro_time": gettext_lazy("Fluoroscopy time"),
    "activity": gettext_lazy("Administered activity"),
    "activity_per_mass": gettext_lazy("Activity per body mass"),
}
UNIT_DISPLAY = {"mGy.cm2": "mGy·cm²", "Gy.cm2": "Gy·cm²", "mGy.cm": "mGy·cm", "cGy.cm2": "cGy·cm²"}


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


def _require(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms([f"nrd.{p}" for p in perms]):
        raise PermissionDenied


def _evaluations(request: HttpRequest) -> QuerySet[Evaluation]:
    """The evaluations of the user's units."""
    return visible(Evaluation.objects.all(), request.user)


def _french() -> bool:
    return (get_language() or "fr").startswith("fr")


def _problems(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


# --- the yearly plan -----------------------------------------------------------------------


def _plan_context(year: int, device_ids: list[int] | None = None) -> dict[str, Any]:
    """The plan of ``year`` grouped per device, with labels, counts and flags (worst first).

    ``device_ids``: the devices the user may see (None: all)."""
    data = year_plan(year, device_ids=device_ids)
    groups: dict[str, dict[str, Any]] = {}
    for item in data["items"]:
        device = item["device"]
        key = str(device.get("id") or f"unit:{device.get('unit')}:{device.get('group')}")
        group = groups.setdefault(key, {"device": device, "items": []})
        item["status_label"] = PLAN_LABELS.get(item["status"], item["status"])
        item["requirement_label"] = REQUIREMENT_LABELS.get(item["requirement"], item["requirement"])
        item["population_label"] = POPULATION_LABELS.get(item["population"], item["population"])
        group["items"].append(item)
    counts = {s: 0 for s in PLAN_LABELS}
    for item in data["items"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    flags = sorted(data["flags"], key=lambda f: f["severity"] != "nonconformity")
    return {
        "year": year,
        "as_of": data["as_of"],
        "items": data["items"],
        "groups": list(groups.values()),
        "flags": flags,
        "counts": [(s, PLAN_LABELS[s], counts.get(s, 0)) for s in PLAN_LABELS],
        "reference_sets": data.get("reference_sets", {}),
    }


def _year_of(request: HttpRequest, default: int | None = None) -> int:
    today = timezone.localdate()
    year = int_param(request, "year")
    if year is None:
        year = default or today.year
    return min(max(year, 2000), today.year + 1)


def plan(request: HttpRequest) -> HttpResponse:
    """The plan of a year: per device, what the decision requires, done / due / late."""
    _require(request, "view_evaluation")
    today = timezone.localdate()
    year = _year_of(request)
    context = _plan_context(year, visible_device_ids(request.user))
    context.update(
        {
            "previous_year": year - 1,
            "next_year": year + 1 if year < today.year + 1 else None,
        }
    )
    return render(request, "nrd/plan.html", context)


# --- the yearly report ---------------------------------------------------------------------


def _results_of(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "label": QUANTITY_LABELS.get(r["quantity"], r["quantity"]),
            "unit_display": UNIT_DISPLAY.get(r["unit"], r["unit"]),
            "status_label": STATUS_LABELS.get(r["status"], r["status"]),
        }
        for r in evaluation.results
    ]


def _year_evaluations(year: int, device_ids: list[int] | None = None) -> list[Evaluation]:
    """The evaluations on record (latest versions) whose period starts in ``year``, of the
    devices ``device_ids`` (None: all)."""
    evaluations = [
        e
        for e in current_evaluations()
        if e.period_from.year == year and (device_ids is None or e.device_id in device_ids)
    ]
    for e in evaluations:
        e.population_label = POPULATION_LABELS.get(e.population, e.population)
        e.abrogated = e.reference_status == "abrogated"
        e.result_rows = _results_of(e)
        e.action_list = list(e.actions.all())
    return evaluations


def _perimeter(groups: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """The devices in the unit's perimeter and those the RAN left out."""
    inside, outside = [], []
    for group in groups:
        device = group["device"]
        if device.get("id") is None:
            continue
        if all(i["requirement"] == "outside_perimeter" for i in group["items"]):
            outside.append(device)
        else:
            inside.append(device)
    return inside, outside


def year_report(request: HttpRequest, year: int) -> HttpResponse:
    """The year's summary for the inspector: perimeter, plan, results, analyses, actions and
    what is missing, laid out for printing (A4)."""
    _require(request, "view_evaluation")
    today = timezone.localdate()
    if not 2000 <= year <= today.year + 1:
        raise Http404("year out of range")
    device_ids = visible_device_ids(request.user)
    context = _plan_context(year, device_ids)
    inside, outside = _perimeter(context["groups"])
    missing = [i for i in context["items"] if i["status"] in ("due", "late")]
    context.update(
        {
            "perimeter": inside,
            "outside": outside,
            "evaluations": _year_evaluations(year, device_ids),
            "missing": missing,
            "printed_at": timezone.now(),
            "printed_by": request.user.get_username(),
        }
    )
    return render(request, "nrd/year_report.html", context)


def year_report_csv(request: HttpRequest, year: int) -> HttpResponse:
    """The year's results as CSV: one row per evaluation and quantity."""
    _require(request, "view_evaluation")
    device_ids = visible_device_ids(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kerma-nrd-{year}.csv"'
    response.write("\ufeff")
    writer = csv_writer(response, delimiter=";")
    writer.writerow(
        [
            "evaluation", "version", "device", "act", "act_label", "population", "category",
            "from", "to", "reference_set", "reference_status", "required_n", "n", "quantity",
            "unit", "median", "vgd", "nrd", "status", "signed_by", "signed_at", "analysis",
            "justification", "actions",
        ]
    )  # fmt: skip
    for e in _year_evaluations(year, device_ids):
        actions = " | ".join(
            f"{a.description} ({a.owner}, {a.due_date:%Y-%m-%d}{', done' if a.done else ''})"
            for a in e.action_list
        )
        for r in e.results or [{}]:
            writer.writerow(
                [
                    e.pk, e.version, e.device_label or str(e.device), e.act_code, e.act_label,
                    e.population, e.category_code, e.period_from, e.period_to, e.reference_set,
                    e.reference_status, e.required_n, e.n_selected, r.get("quantity", ""),
                    r.get("unit", ""), r.get("median", ""), r.get("vgd", ""), r.get("nrd", ""),
                    r.get("status", ""), e.signed_by,
                    e.signed_at.isoformat() if e.signed_at else "", e.analysis,
                    e.justification, actions,
                ]
            )  # fmt: skip
    return response


# --- evaluations ---------------------------------------------------------------------------


def evaluation_list(request: HttpRequest) -> HttpResponse:
    """Every evaluation, newest first, with its state."""
    _require(request, "view_evaluation")
    evaluations = list(
        _evaluations(request)
        .select_related("device")
        .defer("selected", "excluded", "unmapped", "mapping_rules")
        .order_by("-period_from", "-id")
    )
    superseded = set(
        _evaluations(request)
        .filter(previous__isnull=False)
        .values_list("previous_id", flat=True)
    )
    for e in evaluations:
        e.is_superseded = e.pk in superseded
        statuses = [r.get("status") for r in e.results if not r.get("indicative")]
        e.worst = next((s for s in WORST_FIRST if s in statuses), "")
        e.worst_label = STATUS_LABELS.get(e.worst, "")
        e.population_label = POPULATION_LABELS.get(e.population, e.population)
    return render(request, "nrd/evaluation_list.html", {"evaluations": evaluations})


def evaluation_new(request: HttpRequest) -> HttpResponse:
    """Run an evaluation (device, act, population, weight class, period) and show it."""
    if request.method == "POST":
        _require(request, "add_evaluation")
        form = EvaluationForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = run_evaluation(
                    data["device"],
                    data["act"].strip(),
                    population=data["population"],
                    category=data["weight_class"].strip() or None,
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                )
                evaluation = save_evaluation(run, by=_actor(request))
            except (ValueError, LookupError) as exc:
                form.add_error(None, reason(exc))
            else:
                return redirect("nrd_evaluation", pk=evaluation.pk)
    else:
        _require(request, "view_evaluation")
        form = EvaluationForm(initial=request.GET or None, user=request.user)
    return render(request, "nrd/evaluation_new.html", {"form": form})


def _selected_rows(evaluation: Evaluation) -> tuple[list[str], list[dict[str, Any]]]:
    quantities = [r["quantity"] for r in evaluation.results]
    rows = []
    for index, item in enumerate(evaluation.selected, start=1):
        values = item.get("values") or {}
        choice = item.get("choice") or {}
        rows.append(
            {
                "n": index,
                "study_uid": item.get("study_uid"),
                "date": item.get("study_date"),
                "time": (item.get("study_time") or "")[:8],
                "event_uid": item.get("event_uid"),
                "protocol": (item.get("acquisition") or {}).get("protocol") or "",
                "explanation": choice.get("explanation", ""),
                "explanation_notice": choice.get("notice"),
                "overridden": choice.get("overridden", False),
                "patient": item.get("patient") or {},
                "values": [values.get(q) for q in quantities],
            }
        )
    return quantities, rows


def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One evaluation: sample, results, analysis, actions, sign-off and history; its forms."""
    _require(request, "view_evaluation")
    evaluation = get_visible_or_404(
        Evaluation.objects.select_related("device"), request.user, pk=pk
    )
    if request.method == "POST":
        return _evaluation_post(request, evaluation)
    actions = list(evaluation.actions.all())
    results = _results_of(evaluation)
    quantities, rows = _selected_rows(evaluation)
    french = _french()
    reasons = _manual_reasons(evaluation)
    by_user = set(evaluation.excluded_by_user or [])
    excluded = [
        {
            **e,
            "text": (e.get("reason_fr") if french else None) or e.get("reason"),
            "by_user": e.get("study_uid") in by_user,
            "note": reasons.get(e.get("study_uid"), ""),
        }
        for e in evaluation.excluded
    ]
    user = request.user
    draft = not evaluation.is_signed
    if draft and user.has_perm("nrd.change_evaluation"):
        choices = _event_choices([r["study_uid"] for r in rows if r["event_uid"]])
        for row in rows:
            row["choices"] = choices.get(row["study_uid"], []) if row["event_uid"] else []
    superseded_by = evaluation.superseded_by
    history = evaluation.history() if (evaluation.previous_id or superseded_by) else []
    trail = object_trail(user, "evaluation", evaluation.pk)
    return render(
        request,
        "nrd/evaluation_detail.html",
        {
            "evaluation": evaluation,
            # Stored before notices existed: the English messages, shown as written.
            "notes": evaluation.notices or evaluation.messages,
            "population_label": POPULATION_LABELS.get(evaluation.population),
            "abrogated": evaluation.reference_status == "abrogated",
            "results": results,
            "quantity_labels": [QUANTITY_LABELS.get(q, q) for q in quantities],
            "rows": rows,
            "excluded": excluded,
            "actions": actions,
            "history": history,
            "trail": trail,
            "superseded_by": superseded_by,
            "problems": [] if evaluation.is_signed else evaluation.sign_off_notices(actions),
            "can_change": draft and user.has_perm("nrd.change_evaluation"),
            "can_follow": user.has_perm("nrd.change_correctiveaction"),
            "can_act": draft and user.has_perm("nrd.add_correctiveaction"),
            "can_sign": draft and user.has_perm("nrd.sign_evaluation"),
            "can_supersede": evaluation.is_signed
            and superseded_by is None
            and user.has_perm("nrd.change_evaluation"),
            "analysis_form": AnalysisForm(
                initial={
                    "analysis": evaluation.analysis,
                    "justification": evaluation.justification,
                }
            ),
            "action_form": ActionForm(),
        },
    )


def _event_choices(study_uids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The events of each exam (in order), as choices for the physicist."""
    choices: dict[str, list[dict[str, Any]]] = {}
    if not study_uids:
        return choices
    rows = (
        Event.objects.filter(exam__study_uid__in=study_uids)
        .exclude(kind="nm")
        .order_by("exam_id", "started", "id")
        .values(
            "exam__study_uid",
            "uid",
            "protocol",
            "acquisition_type",
            "event_type",
            "ctdivol_mgy",
            "dlp_mgycm",
            "phantom_cm",
            "dap_gycm2",
        )
    )
    for row in rows:
        parts = [row["protocol"] or "", row["acquisition_type"] or row["event_type"] or ""]
        if row["ctdivol_mgy"] is not None:
            parts.append(f"CTDIvol {row['ctdivol_mgy']:.3g} mGy")
        if row["dlp_mgycm"] is not None:
            parts.append(f"DLP {row['dlp_mgycm']:.4g} mGy·cm")
        if row["phantom_cm"]:
            parts.append(f"{row['phantom_cm']} cm")
        if row["dap_gycm2"] is not None:
            parts.append(f"DAP {row['dap_gycm2'] * 1000:.4g} mGy·cm²")
        label = " · ".join(p for p in parts if p) or row["uid"]
        choices.setdefault(row["exam__study_uid"], []).append({"uid": row["uid"], "label": label})
    return choices


def _manual_reasons(evaluation: Evaluation) -> dict[str, str]:
    """The reason the physicist gave for each exam excluded by hand (latest entry wins)."""
    reasons: dict[str, str] = {}
    entries = AuditEntry.objects.filter(
        object_type="evaluation", object_id=str(evaluation.pk), action="exclude"
    ).order_by("at", "id")
    for entry in entries:
        uid = (entry.after or {}).get("study_uid")
        if uid:
            reasons[uid] = entry.summary
    return reasons


def _refuse_signed(evaluation: Evaluation) -> None:
    if evaluation.is_signed:
        raise FrozenEvaluationError(
            _("Evaluation #%(pk)d is signed off: supersede it with a new version to change it.")
            % {"pk": evaluation.pk}
        )


def _choose_event(request: HttpRequest, evaluation: Evaluation, by: str) -> None:
    """Change the acquisition chosen in one selected exam (re-runs the evaluation)."""
    form = EventChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an exam and one of its acquisitions."))
        return
    study_uid, event_uid = form.cleaned_data["study_uid"], form.cleaned_data["event_uid"]
    known = {item.get("study_uid"): item.get("event_uid") for item in evaluation.selected}
    if study_uid not in known and study_uid not in (evaluation.overrides or {}):
        messages.error(request, _("This exam is not in the sample."))
        return
    valid = {c["uid"] for c in _event_choices([study_uid]).get(study_uid, [])}
    if event_uid not in valid:
        messages.error(request, _("This acquisition does not belong to the exam."))
        return
    before = known.get(study_uid)
    overrides = {**(evaluation.overrides or {}), study_uid: event_uid}
    with transaction.atomic():
        rerun(evaluation, by=by, overrides=overrides)
        AuditEntry.record(
            evaluation,
            "override",
            actor=by,
            before={"study_uid": study_uid, "event_uid": before},
            after={"study_uid": study_uid, "event_uid": event_uid},
            summary=f"{study_uid}: {before} → {event_uid}",
        )
    messages.success(request, _("The acquisition is changed; the evaluation is re-run."))


def _exclude_exam(request: HttpRequest, evaluation: Evaluation, by: str, exclude: bool) -> None:
    """Exclude an exam by hand with a reason, or put it back (re-runs the evaluation)."""
    form = ExcludeForm(request.POST) if exclude else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Excluding an exam needs a reason."))
        return
    study_uid = (request.POST.get("study_uid") or "").strip()
    current = list(evaluation.excluded_by_user or [])
    if exclude:
        if study_uid not in {item.get("study_uid") for item in evaluation.selected}:
            messages.error(request, _("This exam is not in the sample."))
            return
        if study_uid not in current:
            current.append(study_uid)
        reason = form.cleaned_data["reason"].strip()
    else:
        if study_uid not in current:
            messages.error(request, _("This exam was not excluded by hand."))
            return
        current.remove(study_uid)
        reason = request.POST.get("reason", "").strip()
    with transaction.atomic():
        rerun(evaluation, by=by, excluded_by_user=current)
        AuditEntry.record(
            evaluation,
            "exclude" if exclude else "include",
            actor=by,
            after={"study_uid": study_uid},
            summary=reason,
        )
    if exclude:
        messages.success(request, _("The exam is excluded; the evaluation is re-run."))
    else:
        messages.success(
            request, _("The exam is back in the candidates; the evaluation is re-run.")
        )


def _evaluation_post(request: HttpRequest, evaluation: Evaluation) -> HttpResponse:
    step = request.POST.get("step", "")
    by = _actor(request)
    try:
        if step == "choose":
            _require(request, "change_evaluation")
            _refuse_signed(evaluation)
            _choose_event(request, evaluation, by)
        elif step in ("exclude", "include"):
            _require(request, "change_evaluation")
            _refuse_signed(evaluation)
            _exclude_exam(request, evaluation, by, exclude=step == "exclude")
        elif step == "analysis":
            _require(request, "change_evaluation")
            form = AnalysisForm(request.POST)
            if form.is_valid():
                evaluation.analysis = form.cleaned_data["analysis"]
                evaluation.justification = form.cleaned_data["justification"]
                evaluation.save(actor=by)
                messages.success(request, _("The analysis is saved."))
        elif step == "action":
            _require(request, "add_correctiveaction")
            form = ActionForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("The action needs a description, an owner and a date."))
            else:
                add_action(evaluation, by=by, **form.cleaned_data)
                messages.success(request, _("The corrective action is added."))
        elif step == "done":
            _require(request, "change_correctiveaction")
            action = get_object_or_404(
                CorrectiveAction, pk=request.POST.get("action"), evaluation=evaluation
            )
            action.mark_done(by, done=request.POST.get("done") != "0")
            messages.success(request, _("The follow-up of the action is recorded."))
        elif step == "sign":
            _require(request, "sign_evaluation")
            evaluation.sign(by)
            messages.success(request, _("The evaluation is signed off."))
        elif step == "supersede":
            _require(request, "change_evaluation")
            new = evaluation.supersede(by, reason=request.POST.get("reason", ""))
            messages.success(request, _("A new version is open for editing."))
            return redirect("nrd_evaluation", pk=new.pk)
        else:
            raise Http404("unknown step")
    except FrozenEvaluationError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        problems = evaluation.sign_off_notices() if step == "sign" else []
        # Sign-off refused: its reasons in the page's language (the model raises them in English).
        text = "; ".join(word(p) for p in problems) if problems else _problems(exc)
        messages.error(request, text)
    return redirect("nrd_evaluation", pk=evaluation.pk)


def evaluation_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The evaluation as the per-patient data IRSN asks for (XLSX or CSV)."""
    if fmt not in ("xlsx", "csv"):
        raise Http404("unknown format")
    _require(request, "view_evaluation")
    evaluation = get_visible_or_404(
        Evaluation.objects.select_related("device"), request.user, pk=pk
    )
    name = exports.default_name(evaluation, fmt)
    with tempfile.TemporaryDirectory() as folder:
        path = exports.export(evaluation, fmt, Path(folder) / name)
        content = path.read_bytes()
    kind = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- mappings ------------------------------------------------------------------------------


def _rules(request: HttpRequest) -> QuerySet[ProtocolMapping]:
    """The mapping rules the user may see: those of every device, and of the user's devices."""
    if sees_all_units(request.user):
        return ProtocolMapping.objects.all()
    return ProtocolMapping.objects.filter(
        Q(device__isnull=True) | device_filter(request.user, "device__")
    )


def mappings(request: HttpRequest) -> HttpResponse:
    """The mapping rules, a form to add one, the names no rule maps with suggested acts."""
    _require(request, "view_protocolmapping")
    form = MappingForm(user=request.user)
    if request.method == "POST":
        by = _actor(request)
        if request.POST.get("step") == "remove":
            _require(request, "delete_protocolmapping")
            rule = get_object_or_404(_rules(request), pk=as_int(request.POST.get("rule")))
            count = remove_mapping(rule, by=by)  # PermissionDenied (403): another unit's rule
            messages.success(
                request, _("Rule removed; %(n)d draft evaluation(s) re-run.") % {"n": count}
            )
            return redirect("nrd_mappings")
        _require(request, "add_protocolmapping")
        form = MappingForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _rule, count = add_mapping(
                    by=by,
                    pattern=data["pattern"],
                    act_code=data["act_code"].strip(),
                    device=data["device"],
                    kind=data["kind"],
                    priority=data["priority"],
                )
            except ValueError as exc:
                form.add_error("act_code", reason(exc))
            except ValidationError as exc:
                form.add_error(None, _problems(exc))
            else:
                messages.success(
                    request, _("Rule added; %(n)d draft evaluation(s) re-run.") % {"n": count}
                )
                return redirect("nrd_mappings")
    rules = list(_rules(request).select_related("device").order_by("priority", "id"))
    every_device = may_change_every_device(_actor(request))
    for rule in rules:
        rule.removable = every_device or rule.device_id is not None
    return render(
        request,
        "nrd/mappings.html",
        {
            "rules": rules,
            "form": form,
            "unmapped": unmapped_listing(device_ids=visible_device_ids(request.user))[:200],
            "can_add": request.user.has_perm("nrd.add_protocolmapping"),
            "can_delete": request.user.has_perm("nrd.delete_protocolmapping"),
        },
    )


# --- reference sets ------------------------------------------------------------------------


def references(request: HttpRequest) -> HttpResponse:
    """The reference sets: which applies to each family, one set's acts, values, sources and
    gaps; a form to load a physicist's CSV (validated; problems shown with line and field)."""
    _require(request, "view_storedreferenceset")
    form = ReferenceUploadForm()
    problems: list[Any] = []
    if request.method == "POST" and request.POST.get("step") == "use":
        _require(request, "change_referencechoice")
        name = request.POST.get("set_name", "")
        family = request.POST.get("family") or None
        supplements = [n for n in request.POST.getlist("supplements") if n and n != name]
        try:
            use_reference(name, by=_actor(request), family=family, supplements=supplements)
        except (LookupError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s now applies to %(family)s.")
                % {"name": name, "family": family or _("every other family")},
            )
        return redirect(request.path)
    if request.method == "POST":
        _require(request, "add_storedreferenceset")
        form = ReferenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            filename = Path(upload.name).name or "reference.csv"
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / filename
                with path.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                try:
                    stored = import_reference(
                        path,
                        by=_actor(request),
                        name=form.cleaned_data["name"].strip() or None,
                        citation=form.cleaned_data["citation"],
                    )
                except ReferenceSetError as exc:
                    problems = exc.problems
                else:
                    messages.success(
                        request,
                        _("Reference set %(name)s loaded (version %(version)d).")
                        % {"name": stored.name, "version": stored.version},
                    )
                    return redirect(f"{request.path}?set={stored.name}")
    in_use = [
        {"family": family.value, "name": a.name, "version": a.version, "status": a.status}
        for family, a in active_by_family().items()
    ]
    names = known_names()
    chosen = request.GET.get("set") or DEFAULT_SET
    if chosen not in names:
        chosen = DEFAULT_SET
    try:
        shown, version = load_named(chosen)
    except (LookupError, ReferenceSetError, ValueError) as exc:
        shown, version = None, str(exc)
    rows = []
    if shown is not None:
        for ref in shown.references:
            rows.append(
                {
                    "act_code": ref.act_code,
                    "act_label": ref.act_label,
                    "family": ref.family.value,
                    "population": POPULATION_LABELS.get(ref.population.value),
                    "category": ref.category or "",
                    "quantity": QUANTITY_LABELS.get(ref.quantity.value, ref.quantity.value),
                    "unit": UNIT_DISPLAY.get(ref.unit, ref.unit),
                    "nrd": ref.nrd,
                    "vgd": ref.vgd,
                    "source": ref.source,
                    "note": ref.note,
                }
            )
    return render(
        request,
        "nrd/references.html",
        {
            "sets": describe_sets(),
            "in_use": in_use,
            "names": names,
            "chosen": chosen,
            "shown": shown,
            "version": version,
            "rows": rows,
            "gaps": list(shown.gaps) if shown is not None else [],
            "form": form,
            "problems": problems,
            "can_upload": request.user.has_perm("nrd.add_storedreferenceset"),
            "can_choose": request.user.has_perm("nrd.change_referencechoice")
            and may_change_every_device(_actor(request)),
            "families": [f.value for f in Family],
        },
    )
