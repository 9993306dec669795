"""Pages of the quality system (decision 2019-DC-0660): the registers (events, analyses,
actions, risks, audits, written procedures, equipment, periodicities, criteria, reviews), the
one action programme, the equipment due, the risk matrix, missing protocols, printable pages.

Each register is described once (:class:`Register`) and served by the same list, detail, new
and edit views. Reading needs ``quality.view_<model>``, creating ``add_<model>``, editing
``change_<model>`` (the roles' rules give them: the quality manager runs the system, the RAN
validates, the inspector reads, a radiographer declares events). Every query is narrowed to the
user's units: a row of another unit answers 404. Every change is audited under the user's name
and its trail is shown on the row's page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kerma.quality import events as event_rules
from kerma.quality import risks as risk_rules
from kerma.quality.actions import findings as action_findings
from kerma.quality.procedures import missing_protocols
from kerma.web.accounts.scope import (
    get_visible_or_404,
    require,
    visible,
    visible_devices,
    visible_units,
)
from kerma.web.audit.words import action_words, field_words
from kerma.web.params import as_int
from kerma.web.quality import exports, forms, words
from kerma.web.quality import models as m
from kerma.web.quality.audit import AuditEntry, acting_as, actor_of
from kerma.web.quality.equipment import device_dues
from kerma.web.quality.imports import COLUMNS as IMPORT_COLUMNS
from kerma.web.quality.imports import form_columns, import_events, import_register, template_rows
from kerma.web.quality.panels import waiting_for_analysis
from kerma.web.quality.programme import origin, origin_links, programme_items


@dataclass(frozen=True)
class Register:
    """One register: its URL part, model, form, title and the columns of its list."""

    slug: str
    model: type[models.Model]
    form: type[forms.RegisterForm]
    title: Any
    columns: tuple[str, ...]
    prefix: str = ""  # path to the unit-bearing row: "" (unit), "device__"

    def perm(self, action: str) -> str:
        return f"quality.{action}_{self.model._meta.model_name}"

    def rows(self, user: Any) -> models.QuerySet:
        return visible(self.model.objects.all(), user, self.prefix)


REGISTERS = {
    r.slug: r
    for r in (
        Register(
            "events",
            m.SafetyEvent,
            forms.EventForm,
            gettext_lazy("Event register"),
            ("detected_on", "recorded_on", "category", "severity", "device", "description"),
        ),
        Register(
            "actions",
            m.QualityAction,
            forms.ActionForm,
            gettext_lazy("Actions entered here"),
            ("source", "title", "owner", "due_on", "status", "done_on"),
        ),
        Register(
            "risks",
            m.Risk,
            forms.RiskForm,
            gettext_lazy("Risk map"),
            ("process", "device", "description", "likelihood", "severity"),
        ),
        Register(
            "audits",
            m.ClinicalAudit,
            forms.AuditForm,
            gettext_lazy("Clinical audits"),
            ("title", "planned_on", "done_on", "auditors"),
        ),
        Register(
            "procedures",
            m.Procedure,
            forms.ProcedureForm,
            gettext_lazy("Written procedures"),
            ("kind", "title", "device", "act", "review_on"),
        ),
        Register(
            "periodicities",
            m.Periodicity,
            forms.PeriodicityForm,
            gettext_lazy("Control periodicities"),
            ("device_type", "kind", "months", "days", "source"),
        ),
        Register(
            "criteria",
            m.EventCriterion,
            forms.CriterionForm,
            gettext_lazy("Analysis and declaration criteria"),
            ("purpose", "label", "min_severity", "deadline_days", "source", "active"),
        ),
        Register(
            "reviews",
            m.RegisterReview,
            forms.ReviewForm,
            gettext_lazy("Register reviews"),
            ("reviewed_on", "participants", "conclusions"),
        ),
        Register(
            "settings",
            m.QualitySettings,
            forms.SettingsForm,
            gettext_lazy("Register settings"),
            ("unit", "review_months", "review_source"),
        ),
        Register(
            "equipment-records",
            m.EquipmentRecord,
            forms.EquipmentForm,
            gettext_lazy("Equipment files"),
            ("device", "acceptance_test_on", "commissioned_on", "in_clinical_use"),
            "device__",
        ),
        Register(
            "controls",
            m.ControlRecord,
            forms.ControlForm,
            gettext_lazy("Controls and maintenance"),
            ("device", "kind", "done_on", "performed_by", "conforming"),
            "device__",
        ),
        Register(
            "contracts",
            m.MaintenanceContract,
            forms.ContractForm,
            gettext_lazy("Maintenance contracts"),
            ("device", "provider", "reference", "starts_on", "ends_on"),
            "device__",
        ),
        Register(
            "nonconformities",
            m.NonConformity,
            forms.NonConformityForm,
            gettext_lazy("Non-conformities"),
            ("device", "found_on", "description", "resolved_on"),
            "device__",
        ),
    )
}


def _register(slug: str) -> Register:
    try:
        return REGISTERS[slug]
    except KeyError:
        raise Http404 from None


def display(obj: models.Model, name: str) -> Any:
    """Return the value of field ``name`` of ``obj`` as a reader sees it (choices by label,
    related rows by name, yes/no)."""
    field = obj._meta.get_field(name)
    if isinstance(obj, m.EventCriterion) and name == "categories":
        return words.worded_categories(obj.categories)
    if field.many_to_many:
        return ", ".join(str(o) for o in getattr(obj, name).all())
    if field.choices:
        return getattr(obj, f"get_{name}_display")()
    value = getattr(obj, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, models.Model):
        return str(value)
    return value


def _label(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


@dataclass(frozen=True)
class HistoryLine:
    """An audit entry as the row's page shows it: who did what when, the fields it set (by
    their labels, choices by their words)."""

    id: int
    at: Any
    actor: str
    action: str
    what: str
    changes: list[tuple[str, Any]]


def _history(obj: models.Model) -> list[HistoryLine]:
    model = type(obj)
    entries = AuditEntry.objects.filter(object_type=obj.audit_type, object_id=str(obj.pk))
    return [
        HistoryLine(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=action_words(e.action),
            what=str(model._meta.verbose_name),
            changes=[field_words(model, k, v) for k, v in (e.after or {}).items()],
        )
        for e in entries.order_by("-at", "-id")
    ]


def _tabs(request: HttpRequest) -> list[tuple[str, str, Any]]:
    """Return the (url name, slug, label) of the registers the user may open."""
    user = request.user
    tabs = []
    for slug, label, perm in (
        ("events", _("Events"), "quality.view_safetyevent"),
        ("programme", _("Action programme"), "quality.view_qualityaction"),
        ("risks", _("Risk map"), "quality.view_risk"),
        ("audits", _("Clinical audits"), "quality.view_clinicalaudit"),
        ("procedures", _("Written procedures"), "quality.view_procedure"),
        ("equipment", _("Equipment and QC"), "quality.view_equipmentrecord"),
        ("criteria", _("Criteria"), "quality.view_eventcriterion"),
        ("reviews", _("Reviews"), "quality.view_registerreview"),
    ):
        if user.has_perm(perm):
            tabs.append((slug, label))
    return tabs


def _context(request: HttpRequest, current: str, **extra: Any) -> dict[str, Any]:
    return {"tabs": _tabs(request), "current_tab": current, **extra}


# ---- overview ----------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """The quality system at a glance: what is overdue, waiting, missing."""
    if not _tabs(request):
        require(request, "quality.view_safetyevent")
    user = request.user
    today = timezone.localdate()
    counts = {}
    for slug in ("events", "risks", "audits", "procedures"):
        register = REGISTERS[slug]
        if user.has_perm(register.perm("view")):
            counts[str(register.title)] = register.rows(user).count()
    items = programme_items(user, today) if user.has_perm("quality.view_qualityaction") else []
    overdue = [i for i in items if i.overdue(today)]
    dues = []
    if user.has_perm("quality.view_equipmentrecord"):
        dues = [
            (dd.device, due, words.kind_label(due.kind))
            for dd in device_dues(visible_devices(user).select_related("unit"), today)
            for due in dd.overdue
        ]
    waiting = waiting_for_analysis(user) if user.has_perm("quality.view_safetyevent") else []
    reviews = []
    if user.has_perm("quality.view_registerreview"):
        reviews = _review_findings(user, today)
    return render(
        request,
        "quality/home.html",
        _context(
            request,
            "home",
            counts=counts,
            overdue=overdue,
            open_count=sum(1 for i in items if i.status not in ("done", "cancelled")),
            dues=dues,
            waiting=waiting,
            reviews=reviews,
        ),
    )


def _review_findings(user: Any, today: Any) -> list[str]:
    found = []
    language = get_language() or "fr"
    for unit in visible_units(user):
        settings = m.QualitySettings.objects.filter(unit=unit).first()
        if settings is None or not settings.review_months:
            continue
        last = m.RegisterReview.objects.filter(unit=unit).order_by("-reviewed_on").first()
        first = m.SafetyEvent.objects.filter(unit=unit).order_by("recorded_on").first()
        notices = event_rules.review_findings(
            last.reviewed_on if last else None,
            settings.review_months,
            today,
            start=first.recorded_on if first else None,
        )
        found += [f"{unit}: {n.text(language)}" for n in notices]
    return found


# ---- the generic register views ----------------------------------------------------------


def _export_rows(register: Register, rows: Any) -> list[dict[str, Any]]:
    return [{"id": row.pk, **{c: display(row, c) for c in register.columns}} for row in rows]


def register_list(request: HttpRequest, slug: str) -> HttpResponse:
    """A register's rows of the user's units, filtered by unit and text; CSV/XLSX export."""
    register = _register(slug)
    require(request, register.perm("view"))
    rows = register.rows(request.user)
    unit = request.GET.get("unit", "")
    if (unit_id := as_int(unit)) is not None:
        rows = rows.filter(**{f"{register.prefix}unit_id": unit_id})
    text = request.GET.get("q", "").strip()
    if text:
        texts = [
            f.name
            for f in register.model._meta.fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        query = models.Q()
        for name in texts:
            query |= models.Q(**{f"{name}__icontains": text})
        rows = rows.filter(query)
    if slug == "events" and request.GET.get("waiting"):
        waiting = {e.pk for e in waiting_for_analysis(request.user)}
        rows = rows.filter(pk__in=waiting)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        columns = [("id", "id"), *[(c, _label(register.model, c)) for c in register.columns]]
        return exports.download(_export_rows(register, rows), columns, export, slug)
    table = [
        (row, [display(row, c) for c in register.columns])
        for row in rows.order_by(*_order(register))
    ]
    extra: dict[str, Any] = {}
    if slug == "risks":
        extra = _risk_matrix(rows)
    return render(
        request,
        "quality/register_list.html",
        _context(
            request,
            slug,
            register=register,
            headers=[_label(register.model, c) for c in register.columns],
            table=table,
            units=list(visible_units(request.user)),
            chosen={"unit": unit, "q": text},
            can_add=request.user.has_perm(register.perm("add")),
            **extra,
        ),
    )


def _order(register: Register) -> list[str]:
    return list(register.model._meta.ordering or ["-id"])


def _risk_matrix(rows: Any) -> dict[str, Any]:
    bands = risk_rules.Bands()
    before = risk_rules.matrix([(r.likelihood, r.severity) for r in rows])
    after = risk_rules.matrix(
        [
            (r.residual_likelihood, r.residual_severity)
            for r in rows
            if r.residual_likelihood and r.residual_severity
        ]
    )

    def grid(counts: list[list[int]]) -> list[tuple[int, list[tuple[int, str]]]]:
        return [
            (s, [(counts[s - 1][lk - 1], bands.level(s * lk)) for lk in range(1, 6)])
            for s in range(5, 0, -1)
        ]

    return {"matrix_before": grid(before), "matrix_after": grid(after), "scale": range(1, 6)}


def _form_page(request: HttpRequest, register: Register, row: Any, **kwargs: Any) -> HttpResponse:
    """Show ``register``'s form for ``row`` (None: a new row); save it on a valid POST."""
    data, files = request.POST or None, request.FILES or None
    form = register.form(data, files, user=request.user, instance=row, **kwargs)
    if request.method == "POST" and form.is_valid():
        with acting_as(actor_of(request.user)):
            saved = form.save_with(actor_of(request.user))
        messages.success(request, _("Saved."))
        return redirect("quality_detail", slug=register.slug, pk=saved.pk)
    return render(
        request,
        "quality/register_form.html",
        _context(request, register.slug, register=register, form=form, row=row),
    )


def register_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Create a row of a register (fields may be preset from the query string)."""
    register = _register(slug)
    require(request, register.perm("add"))
    initial = {k: v for k, v in request.GET.items() if k in register.form.base_fields}
    return _form_page(request, register, None, initial=initial)


def register_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Edit a row of a register."""
    register = _register(slug)
    require(request, register.perm("change"))
    row = get_visible_or_404(register.model.objects.all(), request.user, register.prefix, pk=pk)
    return _form_page(request, register, row)


def register_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A row of a register: its fields, what the rules say about it, its audit trail."""
    register = _register(slug)
    require(request, register.perm("view"))
    row = get_visible_or_404(register.model.objects.all(), request.user, register.prefix, pk=pk)
    fields = [
        (f.verbose_name, display(row, f.name))
        for f in [*register.model._meta.fields, *register.model._meta.many_to_many]
        if f.name in register.form.base_fields or f.name in ("unit", "device")
        if not f.auto_created
    ]
    language = get_language() or "fr"
    context = _context(
        request,
        slug,
        register=register,
        row=row,
        fields=fields,
        history=_history(row),
        can_change=request.user.has_perm(register.perm("change")),
        findings=[],
    )
    if slug == "events":
        context["findings"] = [n.text(language) for n in row.findings()]
        analysis = m.SystemicAnalysis.objects.filter(event=row).first()
        context["analysis"] = analysis
        if analysis is not None:
            context["causes"] = words.worded_causes(analysis)
            context["history"] = sorted(
                context["history"] + _history(analysis), key=lambda e: (e.at, e.id), reverse=True
            )
        context["actions"] = m.QualityAction.objects.filter(event=row)
        context["criteria"] = m.EventCriterion.objects.filter(unit=row.unit, active=True)
    elif slug == "risks":
        assessment = row.assessment()
        context["assessment"] = assessment
        context["levels"] = (
            words.word_of(words.RISK_LEVELS, assessment.level_before),
            words.word_of(words.RISK_LEVELS, assessment.level_after),
        )
        context["actions"] = m.QualityAction.objects.filter(risk=row)
    elif slug == "audits":
        context["actions"] = m.QualityAction.objects.filter(audit=row)
    elif slug == "procedures":
        context["versions"] = row.versions.order_by("-number")
    elif slug == "actions":
        context["findings"] = [n.text(language) for n in _action_findings(row)]
    elif slug == "equipment-records":
        context["findings"] = [n.text(language) for n in row.clinical_use_problems()]
    return render(request, "quality/register_detail.html", context)


def _action_findings(row: m.QualityAction) -> list[Any]:
    return action_findings(row.item(), timezone.localdate())


# ---- events: systemic analysis, import, template, review report ---------------------------


def event_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or edit the systemic analysis of an event."""
    event = get_visible_or_404(m.SafetyEvent.objects.all(), request.user, "", pk=pk)
    analysis = m.SystemicAnalysis.objects.filter(event=event).first()
    require(request, f"quality.{'change' if analysis else 'add'}_systemicanalysis")
    form = forms.AnalysisForm(request.POST or None, user=request.user, instance=analysis)
    if request.method == "POST" and form.is_valid():
        with acting_as(actor_of(request.user)):
            row = form.save(commit=False)
            row.event = event
            row.save()
        messages.success(request, _("The systemic analysis is recorded."))
        return redirect("quality_detail", slug="events", pk=event.pk)
    return render(
        request,
        "quality/register_form.html",
        _context(request, "events", register=REGISTERS["events"], form=form, row=event),
    )


@require_POST
def analysis_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """The RAN validates a systemic analysis."""
    require(request, "quality.validate_systemicanalysis")
    analysis = get_visible_or_404(m.SystemicAnalysis.objects.all(), request.user, "event__", pk=pk)
    with acting_as(actor_of(request.user)):
        analysis.validated_by = actor_of(request.user)
        analysis.validated_on = timezone.localdate()
        analysis.save(audit_action="validate")
    messages.success(request, _("Validated."))
    return redirect("quality_detail", slug="events", pk=analysis.event_id)


EVENT_TEMPLATE_COLUMNS = [(key, fr) for key, fr in IMPORT_COLUMNS]


def event_template(request: HttpRequest) -> HttpResponse:
    """The spreadsheet template of the event register (one example row)."""
    require(request, "quality.view_safetyevent")
    return exports.download(template_rows(), EVENT_TEMPLATE_COLUMNS, "xlsx", "registre-evenements")


def event_import(request: HttpRequest) -> HttpResponse:
    """Import events from the template (CSV, XLSX) or the JSON of ``kerma events list``."""
    require(request, "quality.add_safetyevent")
    result = None
    units = list(visible_units(request.user))
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        chosen = next((u for u in units if str(u.pk) == request.POST.get("unit")), None)
        with acting_as(actor_of(request.user)):
            result = import_events(upload.name, upload.read(), chosen or units[0])
    return render(
        request,
        "quality/import.html",
        _context(
            request,
            "events",
            result=result,
            units=units,
            columns=IMPORT_COLUMNS,
            title=_("Import events"),
            template_url=reverse("quality_event_template"),
        ),
    )


def register_template(request: HttpRequest, slug: str) -> HttpResponse:
    """The spreadsheet template of a register: its columns, headed in the reader's language."""
    register = _register(slug)
    require(request, register.perm("view"))
    french = (get_language() or "fr").startswith("fr")
    columns = [(n, fr if french else en) for n, en, fr in form_columns(register.form)]
    return exports.download([], columns, "xlsx", f"{slug}-template")


def register_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Import a register's rows from its template (CSV or XLSX), each checked by its form."""
    if slug == "events":
        return redirect("quality_event_import")
    register = _register(slug)
    require(request, register.perm("add"))
    result = None
    units = list(visible_units(request.user))
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        chosen = next((u for u in units if str(u.pk) == request.POST.get("unit")), None)
        result = import_register(
            register.form,
            upload.name,
            upload.read(),
            request.user,
            chosen or (units[0] if units else None),
            actor_of(request.user),
        )
    french = (get_language() or "fr").startswith("fr")
    columns = [(n, fr if french else en) for n, en, fr in form_columns(register.form)]
    return render(
        request,
        "quality/import.html",
        _context(
            request,
            slug,
            result=result,
            units=units,
            columns=columns,
            title=register.title,
            template_url=reverse("quality_template", args=[slug]),
        ),
    )


def review_report(request: HttpRequest) -> HttpResponse:
    """A printable review of the register: the events since the last review, their analysis,
    what the criteria say, and the actions."""
    require(request, "quality.view_safetyevent")
    units = list(visible_units(request.user))
    wanted = request.GET.get("unit")
    unit = next((u for u in units if str(u.pk) == wanted), units[0] if units else None)
    if unit is None:
        raise Http404
    last = m.RegisterReview.objects.filter(unit=unit).order_by("-reviewed_on").first()
    events = m.SafetyEvent.objects.filter(unit=unit).select_related("device")
    if last is not None:
        events = events.filter(recorded_on__gt=last.reviewed_on)
    language = get_language() or "fr"
    rows = [(e, [n.text(language) for n in e.findings()]) for e in events.order_by("detected_on")]
    return render(
        request,
        "quality/review_report.html",
        {
            "unit": unit,
            "last": last,
            "rows": rows,
            "by_category": sorted(Counter(e.get_category_display() for e in events).items()),
            "actions": m.QualityAction.objects.filter(unit=unit, source="event"),
            "today": timezone.localdate(),
        },
    )


# ---- the programme ------------------------------------------------------------------------


PROGRAMME_COLUMNS = [
    "source",
    "title",
    "owner",
    "due_on",
    "status",
    "done_on",
    "overdue",
    "evidence_name",
    "effectiveness_checked_on",
    "effectiveness_check",
]


def _programme_labels() -> dict[str, str]:
    return {
        "source": _("Source"),
        "title": _("Action"),
        "owner": _("Owner"),
        "due_on": _("Due on"),
        "status": _("Status"),
        "done_on": _("Done on"),
        "overdue": _("Overdue"),
        "evidence_name": _("Evidence of completion"),
        "effectiveness_checked_on": _("Effectiveness checked on"),
        "effectiveness_check": _("Effectiveness check"),
    }


def _worded(row: dict[str, Any]) -> dict[str, Any]:
    """Return an exported programme row with its source, status and yes/no in words."""
    return {
        **row,
        "source": str(dict(SOURCE_LABELS).get(str(row["source"]), row["source"])),
        "status": str(dict(m.QualityAction.Status.choices).get(str(row["status"]), row["status"])),
        "overdue": _("yes") if row["overdue"] else _("no"),
    }


def programme(request: HttpRequest) -> HttpResponse:
    """The one action programme: every source, overdue first, each action with its evidence of
    completion and its effectiveness check; CSV/XLSX export."""
    require(request, "quality.view_qualityaction")
    today = timezone.localdate()
    items = programme_items(request.user, today)
    source = request.GET.get("source", "")
    if source:
        items = [i for i in items if i.source == source]
    status = request.GET.get("status", "")
    if status:
        items = [i for i in items if i.status == status]
    if request.GET.get("overdue"):
        items = [i for i in items if i.overdue(today)]
    rows = [i.as_dict(today) for i in items]
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        labels = _programme_labels()
        columns = [(c, labels[c]) for c in PROGRAMME_COLUMNS]
        return exports.download([_worded(r) for r in rows], columns, export, "actions")
    links = origin_links(items)
    for item, row in zip(items, rows, strict=True):
        row["due"], row["done"] = item.due_on, item.done_on  # dates, worded by the template
        row["checked"] = item.effectiveness_checked_on
        row["source_label"] = dict(SOURCE_LABELS).get(item.source, item.source)
        row["status_label"] = dict(m.QualityAction.Status.choices).get(item.status, item.status)
        row["link"] = links.get(item.ref, "")
        kind, _sep, number = item.ref.partition(":")
        row["follow_link"] = (
            reverse("quality_completion", args=[kind, int(number)])
            if kind in COMPLETION_SOURCES
            else row["link"]
        )
    return render(
        request,
        "quality/programme.html",
        _context(
            request,
            "programme",
            rows=rows,
            sources=SOURCE_LABELS,
            statuses=m.QualityAction.Status.choices,
            chosen={"source": source, "status": status, "overdue": request.GET.get("overdue")},
            can_add=request.user.has_perm("quality.add_qualityaction"),
        ),
    )


# Sources whose actions live in another app: their evidence and effectiveness check are kept
# here (:class:`~kerma.web.quality.models.ActionCompletion`).
COMPLETION_SOURCES = ("nrd", "followup")


def action_completion(request: HttpRequest, source: str, ref: int) -> HttpResponse:
    """The evidence of completion and the effectiveness check of an NRD corrective action or a
    follow-up decision (their own pages keep what, who, when): shown to the programme's
    readers, recorded by those who may change the programme's actions; audited."""
    require(request, "quality.view_qualityaction")
    item, unit, link = origin(request.user, source, ref)
    record = m.ActionCompletion.objects.filter(source=source, ref=ref).first()
    can_change = request.user.has_perm("quality.change_qualityaction")
    form = None
    if can_change or request.method == "POST":
        require(request, "quality.change_qualityaction")
        form = forms.CompletionForm(
            request.POST or None, request.FILES or None, user=request.user, instance=record
        )
        if request.method == "POST" and form.is_valid():
            form.instance.unit, form.instance.source, form.instance.ref = unit, source, ref
            with acting_as(actor_of(request.user)):
                form.save_with(actor_of(request.user))
            messages.success(request, _("Saved."))
            return redirect("quality_completion", source=source, ref=ref)
    language = get_language() or "fr"
    return render(
        request,
        "quality/completion.html",
        _context(
            request,
            "programme",
            item=item,
            source_label=dict(SOURCE_LABELS).get(source, source),
            status_label=dict(m.QualityAction.Status.choices).get(item.status, item.status),
            link=link,
            record=record,
            form=form,
            findings=[n.text(language) for n in action_findings(item, timezone.localdate())],
            history=_history(record) if record else [],
        ),
    )


SOURCE_LABELS = [
    ("nrd", gettext_lazy("NRD evaluation")),
    ("event", gettext_lazy("event analysis")),
    ("followup", gettext_lazy("patient follow-up")),
    ("risk", gettext_lazy("risk map")),
    ("audit", gettext_lazy("clinical audit")),
    ("inspection", gettext_lazy("inspection follow-up letter")),
]


# ---- written procedures -------------------------------------------------------------------


def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a version (uploaded document or text) to a written procedure."""
    require(request, "quality.add_procedureversion")
    procedure = get_visible_or_404(m.Procedure.objects.all(), request.user, "", pk=pk)
    number = (procedure.versions.aggregate(n=models.Max("number"))["n"] or 0) + 1
    form = forms.VersionForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"number": number, "written_by": actor_of(request.user)},
    )
    taken = set(procedure.versions.values_list("number", flat=True))
    if request.method == "POST" and form.is_valid() and form.cleaned_data["number"] in taken:
        form.add_error("number", _("This version number is already used."))
    if request.method == "POST" and form.is_valid():
        form.instance.procedure = procedure
        with acting_as(actor_of(request.user)):
            form.save_with(actor_of(request.user))
        messages.success(request, _("Saved."))
        return redirect("quality_detail", slug="procedures", pk=procedure.pk)
    return render(
        request,
        "quality/register_form.html",
        _context(request, "procedures", register=REGISTERS["procedures"], form=form, row=procedure),
    )


@require_POST
def version_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """The RAN validates a version of a written procedure."""
    require(request, "quality.validate_procedureversion")
    version = get_visible_or_404(
        m.ProcedureVersion.objects.all(), request.user, "procedure__", pk=pk
    )
    with acting_as(actor_of(request.user)):
        version.validated_by = actor_of(request.user)
        version.validated_on = timezone.localdate()
        version.save(audit_action="validate")
    messages.success(request, _("Validated."))
    return redirect("quality_detail", slug="procedures", pk=version.procedure_id)


def procedure_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The current version of a procedure, printable for display near the device."""
    require(request, "quality.view_procedure")
    procedure = get_visible_or_404(m.Procedure.objects.all(), request.user, "", pk=pk)
    return render(
        request,
        "quality/procedure_print.html",
        {"procedure": procedure, "version": procedure.current()},
    )


def missing(request: HttpRequest) -> HttpResponse:
    """The acts performed on each device (from its exams) without a written protocol."""
    require(request, "quality.view_procedure")
    from kerma.web.dose.models import Exam

    devices = {d.pk: d for d in visible_devices(request.user)}
    acts: dict[str, dict[str, int]] = {}
    names = {}
    counts = (
        Exam.objects.filter(device_id__in=list(devices), is_test=False)
        .exclude(procedure="")
        .values_list("device_id", "procedure")
        .annotate(n=models.Count("id"))
    )
    for device_id, act, n in counts:
        key = str(device_id)
        names[key] = devices[device_id]
        acts.setdefault(key, {})[act] = n
    covered = []
    for p in visible(m.Procedure.objects.filter(kind="protocol"), request.user, ""):
        covered.append((str(p.device_id) if p.device_id else "*", p.act or p.title))
    found = missing_protocols(acts, covered)
    rows = [(names[x.device], x.act, x.exams) for x in found]
    return render(
        request,
        "quality/missing.html",
        _context(request, "procedures", rows=rows, covered=len(covered)),
    )


# ---- equipment -----------------------------------------------------------------------------


def equipment(request: HttpRequest) -> HttpResponse:
    """Each device with its file and its controls and maintenance due; CSV/XLSX export."""
    require(request, "quality.view_equipmentrecord")
    today = timezone.localdate()
    dues = device_dues(visible_devices(request.user).select_related("unit"), today)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows = [
            {
                "device": str(d.device),
                **due.as_dict(),
                "kind": words.kind_label(due.kind),
                "overdue": _("yes") if due.overdue else _("no"),
            }
            for d in dues
            for due in d.dues
        ]
        columns = [
            ("device", _("Device")),
            ("kind", _("Kind")),
            ("last_done", _("Last done")),
            ("next_due", _("Next due")),
            ("overdue", _("Overdue")),
            ("source", _("Source")),
        ]
        return exports.download(rows, columns, export, "equipment")
    return render(
        request,
        "quality/equipment.html",
        _context(
            request,
            "equipment",
            dues=dues,
            today=today,
            can_add=request.user.has_perm("quality.add_controlrecord"),
        ),
    )


def equipment_device(request: HttpRequest, device_id: int) -> HttpResponse:
    """One device's file: acceptance test, commissioning, contracts, controls, non-conformities."""
    require(request, "quality.view_equipmentrecord")
    device = get_visible_or_404(visible_devices(request.user), request.user, "", pk=device_id)
    today = timezone.localdate()
    (due,) = device_dues([device], today)
    language = get_language() or "fr"
    record = due.record
    return render(
        request,
        "quality/equipment_device.html",
        _context(
            request,
            "equipment",
            device=device,
            record=record,
            dues=due.dues,
            problems=[n.text(language) for n in record.clinical_use_problems()] if record else [],
            controls=m.ControlRecord.objects.filter(device=device),
            contracts=m.MaintenanceContract.objects.filter(device=device),
            nonconformities=m.NonConformity.objects.filter(device=device),
        ),
    )


def document(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an uploaded document of the user's units."""
    readers = ("view_procedure", "view_qualityaction", "view_equipmentrecord", "view_document")
    if not any(request.user.has_perm(f"quality.{p}") for p in readers):
        require(request, "quality.view_document")
    row = get_visible_or_404(m.Document.objects.all(), request.user, "", pk=pk)
    kind = row.content_type or "application/octet-stream"
    response = HttpResponse(bytes(row.data), content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{row.name}"'
    return response
