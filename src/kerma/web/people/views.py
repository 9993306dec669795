"""Pages of the people register: people and their training status (page, CSV, XLSX), a person
with certificates, device trainings, qualifications, dosimetry and history; forms to add and
edit them; the qualifications to do; imports of the HR spreadsheet and of dosimeter readings;
the staff exposure assessments (list, exports, detail, form).

Reading needs ``people.view_person`` (``view_staffassessment`` for assessments); each change
its ``add_``/``change_`` permission (see :mod:`kerma.web.accounts.roles`): an inspector reads
everything and gets 403 on every form. Every query is narrowed to the user's units: a person
or assessment of another unit answers 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from kerma.people import is_new_activity
from kerma.staff import LIMITS_MSV, ORGANS, organ_label
from kerma.web.accounts.scope import require, visible_devices, visible_units
from kerma.web.dose.participants import role_label
from kerma.web.params import as_int
from kerma.web.people import exports, imports
from kerma.web.people.audit import AuditEntry, acting_as, actor_of
from kerma.web.people.forms import (
    AssessmentForm,
    CertificateForm,
    DeviceTrainingForm,
    PersonForm,
    QualificationForm,
    UploadForm,
)
from kerma.web.people.models import (
    PROFESSION_LABELS,
    STATUS_LABELS,
    Certificate,
    DeviceTraining,
    Qualification,
    StaffAssessment,
)
from kerma.web.people.scope import person_or_404, visible_assessments, visible_people
from kerma.web.people.services import (
    activity,
    measured_of,
    operators_without_qualification,
    people_with_rows,
    planned_qualifications,
    qualifications_to_do_of,
    training_of,
)


def _language() -> str:
    return get_language() or "fr"


def _export_format(request: HttpRequest) -> str | None:
    value = request.GET.get("format", "")
    return value if value in ("csv", "xlsx") else None


# ---- the register ---------------------------------------------------------------------------


def people_list(request: HttpRequest) -> HttpResponse:
    """The people of the user's units with their training status; ``?format=csv|xlsx``."""
    require(request, "people.view_person")
    people = people_with_rows(visible_people(request.user))
    chosen = {k: request.GET.get(k, "") for k in ("unit", "status")}
    if (unit_id := as_int(chosen["unit"])) is not None:
        people = people.filter(units__id=unit_id)
    rows = training_of(people, timezone.localdate())
    counts = {code: sum(r.status.status.value == code for r in rows) for code in STATUS_LABELS}
    if chosen["status"] in STATUS_LABELS:
        rows = [r for r in rows if r.status.status.value == chosen["status"]]
    export_format = _export_format(request)
    if export_format:
        return exports.download(
            export_format, "training", exports.TRAINING_HEADER, exports.training_rows(rows)
        )
    return render(
        request,
        "people/people_list.html",
        {
            "rows": rows,
            "statuses": [(c, label, counts[c]) for c, label in STATUS_LABELS.items()],
            "inactive": [p for p in people if not p.active],
            "units": list(visible_units(request.user)),
            "chosen": chosen,
            "language": _language(),
        },
    )


def _audit_of(person: Any) -> Any:
    kinds = {
        "certificate": person.certificates.values_list("id", flat=True),
        "device_training": person.device_trainings.values_list("id", flat=True),
        "qualification": person.qualifications.values_list("id", flat=True),
        "dosimeter_reading": person.readings.values_list("id", flat=True),
    }
    wanted = Q(object_type="person", object_id=str(person.pk))
    for kind, ids in kinds.items():
        wanted |= Q(object_type=kind, object_id__in=[str(i) for i in ids])
    return AuditEntry.objects.filter(wanted).order_by("-at", "-id")[:100]


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: training status, certificates, device trainings, qualifications (and those to
    do), dosimeter readings with the rolling 12-month sums, the history of changes."""
    require(request, "people.view_person")
    person = person_or_404(request.user, pk)
    today = timezone.localdate()
    row = training_of([person], today)[0] if person.active else None
    sums, measured_notices = measured_of(person, today)
    language = _language()
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "profession": PROFESSION_LABELS.get(person.profession, person.profession),
            "row": row,
            "status_label": STATUS_LABELS.get(row.status.status.value) if row else None,
            "notices": [n.text(language) for n in row.status.notices] if row else [],
            "todo": [n.text(language) for n in qualifications_to_do_of(person)],
            "readings": person.readings.order_by("-period_end"),
            "sums": [
                {"organ": organ_label(o, language), "msv": sums[o], "limit": LIMITS_MSV[o]}
                for o in ORGANS
            ],
            "measured_notices": [n.text(language) for n in measured_notices],
            "entries": _audit_of(person),
            "assessments": visible_assessments(request.user).filter(person=person),
        },
    )


def _form_page(
    request: HttpRequest, form: Any, title: str, back: str, *, multipart: bool = False
) -> HttpResponse:
    return render(
        request,
        "people/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
    )


def person_new(request: HttpRequest) -> HttpResponse:
    """Add a person (``people.add_person``)."""
    require(request, "people.add_person")
    return _person_form(request, None)


def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a person (``people.change_person``)."""
    require(request, "people.change_person")
    return _person_form(request, person_or_404(request.user, pk))


def _person_form(request: HttpRequest, person: Any) -> HttpResponse:
    before = list(person.domains) if person else None
    changed_on = person.activity_changed_on if person else None
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        with acting_as(actor_of(request.user)):
            saved = form.save(commit=False)
            if (
                before is not None
                and is_new_activity(before, saved.domains)
                and saved.activity_changed_on == changed_on
            ):
                # A new domain is a change of activity: the training is renewed for it.
                saved.activity_changed_on = timezone.localdate()
                text = _("New domain of activity: training for it is due (change of activity).")
                messages.warning(request, text)
            saved.save()
            saved.set_units(form.cleaned_data["units"])
        messages.success(request, _("Saved."))
        return redirect("people_detail", saved.pk)
    back = f"/people/{person.pk}/" if person else "/people/"
    return _form_page(request, form, str(person) if person else _("New person"), back)


def _child_form(
    request: HttpRequest,
    person: Any,
    form_class: Any,
    title: str,
    instance: Any = None,
    **extra: Any,
) -> HttpResponse:
    form = form_class(request.POST or None, request.FILES or None, instance=instance, **extra)
    if request.method == "POST" and form.is_valid():
        with acting_as(actor_of(request.user)):
            row = form.save(commit=False)
            row.person = person
            row.save()
        messages.success(request, _("Saved."))
        return redirect("people_detail", person.pk)
    return _form_page(
        request, form, f"{title} — {person}", f"/people/{person.pk}/", multipart=True
    )


# kind in the URL -> (model, form, title, whether the form takes the user)
CHILDREN: dict[str, tuple[Any, Any, Any, bool]] = {
    "certificate": (Certificate, CertificateForm, _l("Training certificate"), False),
    "devicetraining": (
        DeviceTraining, DeviceTrainingForm, _l("Device or technique training"), True
    ),
    "qualification": (Qualification, QualificationForm, _l("Workstation qualification"), True),
}


def child_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Record a certificate, a device training or a qualification (planned when undated) of a
    person (``people.add_<kind>``)."""
    if kind not in CHILDREN:
        raise Http404
    model, form_class, title, with_user = CHILDREN[kind]
    require(request, f"people.add_{kind}")
    person = person_or_404(request.user, pk)
    extra = {"user": request.user} if with_user else {}
    return _child_form(request, person, form_class, str(title), **extra)


def child_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Edit a certificate, a device training or a qualification (``people.change_<kind>``),
    e.g. to date a planned qualification once done."""
    if kind not in CHILDREN:
        raise Http404
    model, form_class, title, with_user = CHILDREN[kind]
    require(request, f"people.change_{kind}")
    row = model.objects.filter(pk=pk, person__in=visible_people(request.user)).first()
    if row is None:
        raise Http404
    extra = {"user": request.user} if with_user else {}
    return _child_form(request, row.person, form_class, str(title), instance=row, **extra)


def certificate_file(request: HttpRequest, pk: int) -> FileResponse:
    """The attachment of a certificate of a person the user sees."""
    require(request, "people.view_certificate")
    row = Certificate.objects.filter(pk=pk, person__in=visible_people(request.user)).first()
    if row is None or not row.attachment:
        raise Http404
    return FileResponse(row.attachment.open("rb"), as_attachment=True)


def qualifications(request: HttpRequest) -> HttpResponse:
    """Qualifications to do (newcomers, devices without a qualification, planned ones), and
    what Kerma can say about operators seen in the exams."""
    require(request, "people.view_qualification")
    people = list(people_with_rows(visible_people(request.user)))
    language = _language()
    todo = [
        (p, [n.text(language) for n in qualifications_to_do_of(p)]) for p in people if p.active
    ]
    return render(
        request,
        "people/qualifications.html",
        {
            "todo": [(p, texts) for p, texts in todo if texts],
            "planned": planned_qualifications(people),
            "operators": len(
                operators_without_qualification(
                    visible_devices(request.user),
                    timezone.localdate() - timedelta(days=OPERATOR_PERIOD_DAYS),
                    timezone.localdate(),
                )
            ),
        },
    )


# What the operator rule's missing records mean (roles are worded by the dose app).
MISSING_LABELS = {
    "register": _l("not in the register"),
    "qualification": _l("no workstation qualification on this device"),
    "device_training": _l("no training on this device"),
}
OPERATOR_PERIOD_DAYS = 365  # the period shown by default: the last year


def _day(request: HttpRequest, name: str) -> Any:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


def operators(request: HttpRequest) -> HttpResponse:
    """Operators named by the exams of the user's devices over a period (the last year by
    default) who have no workstation qualification or training recorded on that device, or
    are not in the register; ``?device=&from=&to=``, ``?format=csv|xlsx``."""
    require(request, "people.view_qualification")
    today = timezone.localdate()
    period_to = _day(request, "to") or today
    period_from = _day(request, "from") or period_to - timedelta(days=OPERATOR_PERIOD_DAYS)
    devices = visible_devices(request.user)
    choices = list(devices.order_by("display_name", "manufacturer", "model"))
    device_id = as_int(request.GET.get("device", ""))
    if device_id is not None:
        devices = devices.filter(pk=device_id)
    rows = operators_without_qualification(devices, period_from, period_to)
    by_id = {str(d.pk): d for d in choices}
    export_format = _export_format(request)
    if export_format:
        return exports.download(
            export_format, "operators", exports.OPERATOR_HEADER,
            exports.operator_rows(rows, by_id),
        )
    visible = set(visible_people(request.user).values_list("id", flat=True))
    shown = [
        {
            "row": r,
            "device": by_id.get(r.device, r.device),
            "roles": [role_label(role) for role in r.roles],
            "missing": [(code, MISSING_LABELS[code]) for code in r.missing],
            "link": r.person if r.person in visible else None,
        }
        for r in rows
    ]
    query = {"device": device_id or "", "from": period_from.isoformat(),
             "to": period_to.isoformat()}
    return render(
        request,
        "people/operators.html",
        {
            "rows": shown,
            "devices": choices,
            "chosen": query,
            "query": "&".join(f"{k}={v}" for k, v in query.items() if v),
            "exams": sum(r.exams for r in rows),
        },
    )


# ---- imports --------------------------------------------------------------------------------


def _import_page(request: HttpRequest, kind: str) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        with acting_as(actor_of(request.user)):
            if kind == "hr":
                report = imports.import_hr(data, upload.name, list(visible_units(request.user)))
            else:
                report = imports.import_dosimetry(
                    data, upload.name, visible_people(request.user), upload.name
                )
        messages.success(
            request,
            _("%(created)s created, %(updated)s updated, %(refused)s refused.")
            % {
                "created": report.created,
                "updated": report.updated,
                "refused": len(report.refused),
            },
        )
    return render(
        request, "people/import.html", {"form": form, "report": report, "kind": kind}
    )


def import_hr(request: HttpRequest) -> HttpResponse:
    """Import the HR spreadsheet (``people.add_person``)."""
    require(request, "people.add_person", "people.change_person")
    return _import_page(request, "hr")


def import_template(request: HttpRequest) -> HttpResponse:
    """The HR spreadsheet's template: its columns and one example row (XLSX)."""
    require(request, "people.view_person")
    return exports.xlsx_response("hr-template", imports.HR_TEMPLATE[0], imports.HR_TEMPLATE[1:])


def import_dosimetry(request: HttpRequest) -> HttpResponse:
    """Import the dosimetry provider's CSV (``people.add_dosimeterreading``)."""
    require(request, "people.add_dosimeterreading", "people.change_dosimeterreading")
    return _import_page(request, "dosimetry")


# ---- staff exposure assessments -------------------------------------------------------------


def assessment_list(request: HttpRequest) -> HttpResponse:
    """The assessments of the user's units; ``?format=csv|xlsx``."""
    require(request, "people.view_staffassessment")
    rows = list(visible_assessments(request.user).order_by("title", "id"))
    export_format = _export_format(request)
    if export_format:
        return exports.download(
            export_format, "staff-exposure", exports.ASSESSMENT_HEADER,
            exports.assessment_rows(rows),
        )
    return render(request, "people/assessment_list.html", {"rows": rows})


def _organ_rows(assessment: StaffAssessment, language: str) -> list[dict[str, Any]]:
    result = assessment.result or {}
    return [
        {
            "organ": organ_label(o, language),
            "msv": result.get(f"{o}_msv"),
            "limit": LIMITS_MSV[o],
            "over": o in result.get("over_limit", []),
            "required": result.get("required_attenuation", {}).get(o),
        }
        for o in ORGANS
    ]


def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An assessment: inputs with their sources, yearly doses against the limits, category,
    the protections that fix an organ, the database's activity, the history."""
    require(request, "people.view_staffassessment")
    assessment = visible_assessments(request.user).filter(pk=pk).first()
    if assessment is None:
        raise Http404
    from kerma.staff import assess

    language = _language()
    result = assess(assessment.core_input())
    found = None
    if assessment.device_id and assessment.act and assessment.period_from and assessment.period_to:
        found = activity(
            assessment.device_id, assessment.act, assessment.period_from, assessment.period_to
        )
    entries = AuditEntry.objects.filter(
        object_type="staff_assessment", object_id=str(assessment.pk)
    ).order_by("-at", "-id")
    return render(
        request,
        "people/assessment_detail.html",
        {
            "a": assessment,
            "organs": _organ_rows(assessment, language),
            "notices": [n.text(language) for n in result.notices],
            "activity": found,
            "entries": entries,
        },
    )


def assessment_new(request: HttpRequest) -> HttpResponse:
    """New assessment (``people.add_staffassessment``)."""
    require(request, "people.add_staffassessment")
    return _assessment_form(request, None)


def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an assessment (``people.change_staffassessment``)."""
    require(request, "people.change_staffassessment")
    assessment = visible_assessments(request.user).filter(pk=pk).first()
    if assessment is None:
        raise Http404
    return _assessment_form(request, assessment)


def _assessment_form(request: HttpRequest, assessment: Any) -> HttpResponse:
    form = AssessmentForm(request.POST or None, instance=assessment, user=request.user)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        found = None
        if row.device_id and row.act and row.period_from and row.period_to:
            found = activity(row.device_id, row.act, row.period_from, row.period_to)
        if row.volume_source == StaffAssessment.VolumeSource.DATABASE and found:
            row.volume = found.yearly_volume
        if row.scatter_usv_per_gycm2 and row.dap_gycm2 is None and found:
            row.dap_gycm2 = found.median_dap_gycm2  # the median DAP of the exams
        if row.scatter_usv_per_gycm2 and row.dap_gycm2 is None:
            form.add_error("dap_gycm2", _("No exam with a DAP for this device, act and period."))
            title = str(assessment or _("New assessment"))
            return _form_page(request, form, title, "/people/staff/")
        with acting_as(actor_of(request.user)):
            row.save()
        messages.success(request, _("Saved."))
        return redirect("people_assessment", row.pk)
    back = f"/people/staff/{assessment.pk}/" if assessment else "/people/staff/"
    title = str(assessment) if assessment else _("New staff exposure assessment")
    return _form_page(request, form, title, back)
