"""Pages of persons at risk: the follow-up list (flagged patients, recurrent exposure), a
patient's dose record (flags entered with who and when), the pregnancy check of an exam, the
exams without one per device and month, paediatric exams and each device's paediatric share,
the printable breast-feeding advice, and the report's dose section (text, PDF, JSON).

Reading needs ``dose.view_exam`` (and ``patients.view_patientflag`` for the lists); each entry
its ``add_``/``change_`` permission (an inspector reads and gets 403 on every form). Every query
is narrowed to the user's units: a patient or exam of another unit answers 404.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from kerma.notices import Notice
from kerma.patients import coefficients, risk
from kerma.web.accounts.models import Unit
from kerma.web.accounts.scope import get_visible_or_404, require
from kerma.web.audit.log import acting_as, actor_of
from kerma.web.dose.models import Exam
from kerma.web.patients.models import PatientFlag, PregnancyCheck
from kerma.web.patients.scope import visible_exams, visible_flags
from kerma.web.patients.services import (
    by_device_and_month,
    flags_of,
    paediatric_summary,
    patient_record,
    section_of,
    section_pdf,
    unchecked_pregnancies,
)

ITERATIVE_MIN_EXAMS = 3  # CT exams in the window that put a patient in the follow-up list


def _language() -> str:
    return get_language() or "fr"


def _day(text: str | None) -> date | None:
    """Return the date written ``YYYY-MM-DD`` (None when empty or not a date)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def watch_list(request: HttpRequest) -> HttpResponse:
    """Patients to watch: flagged ones (flags with who and when) and those whose cumulative
    estimated effective dose reaches the recurrent-exposure threshold."""
    require(request, "dose.view_exam", "patients.view_patientflag")
    today = timezone.localdate()
    flagged: dict[str, list[PatientFlag]] = defaultdict(list)
    for flag in visible_flags(request.user).filter(active=True).order_by("-entered_at"):
        flagged[flag.patient_key].append(flag)
    start = risk.window_start(today, risk.DEFAULTS.recurrent_window_years)
    iterative = (
        visible_exams(request.user).filter(modality="CT", study_date__gte=start)
        .exclude(patient_key="").values("patient_key").annotate(n=Count("id"))
        .filter(n__gte=ITERATIVE_MIN_EXAMS).order_by("-n")[:50]
    )
    rows = []
    for key in dict.fromkeys([*flagged, *(r["patient_key"] for r in iterative)]):
        exams = visible_exams(request.user).filter(patient_key=key)
        record = patient_record(exams, key, today)
        rows.append({"key": key, "flags": flagged.get(key, []), "record": record,
                     "alert": record["recurrent_alert"]})
    return render(request, "patients/watch.html", {"rows": rows, "today": today,
                                                   "settings": risk.DEFAULTS})


def record(request: HttpRequest, key: str) -> HttpResponse:
    """A patient's dose record; ``?window=YEARS`` sets the cumulation window (default 5)."""
    require(request, "dose.view_exam")
    exams = visible_exams(request.user).filter(patient_key=key).order_by("-study_date", "-id")
    if not key or not exams.exists():
        raise Http404
    try:
        window = max(1, min(50, int(request.GET.get("window", "5"))))
    except ValueError:
        window = 5
    flags = list(flags_of(key, request.user))
    data = patient_record(exams, key, timezone.localdate(), window_years=window, flags=flags)
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    alert = data["recurrent_alert"]
    # The real identifier only where the installation opted to store it (KERMA_CLEAR_IDENTIFIERS).
    named = exams.exclude(patient_id="", patient_name="").first()
    return render(request, "patients/record.html", {
        "key": key, "data": data, "flags": flags, "window": window,
        "identity": None if named is None else (named.patient_id, named.patient_name),
        "alert_text": Notice.from_dict(alert).text(_language()) if alert else "",
        "kinds": PatientFlag.Kind.choices,
        "may_flag": request.user.has_perm("patients.add_patientflag"),
        "may_end": request.user.has_perm("patients.change_patientflag"),
    })


@require_POST
def flag_add(request: HttpRequest, key: str) -> HttpResponse:
    """Enter an at-risk flag on a patient (who and when recorded, audited)."""
    require(request, "patients.add_patientflag")
    exam = visible_exams(request.user).filter(patient_key=key).first()
    if not key or exam is None:
        raise Http404
    kind = request.POST.get("kind", "")
    if kind not in PatientFlag.Kind.values:
        return HttpResponse(status=400)
    actor = actor_of(request.user)
    with acting_as(actor):
        PatientFlag.objects.create(
            patient_key=key, unit=exam.device.unit or Unit.default(), kind=kind,
            note=request.POST.get("note", "").strip()[:2000], entered_by=actor,
        )
    return redirect("patients_record", key=key)


@require_POST
def flag_end(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a flag (kept in the history, no longer shown)."""
    require(request, "patients.change_patientflag")
    flag = visible_flags(request.user).filter(pk=pk).first()
    if flag is None:
        raise Http404
    with acting_as(actor_of(request.user)):
        flag.active = False
        flag.save()
    return redirect("patients_record", key=flag.patient_key)


@require_POST
def pregnancy_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the pregnancy check of an exam (status, who, when; audited)."""
    require(request, "patients.add_pregnancycheck")
    exam = get_visible_or_404(Exam.objects.select_related("device"), request.user, pk=pk)
    status = request.POST.get("status", "")
    if status not in PregnancyCheck.Status.values:
        return HttpResponse(status=400)
    actor = actor_of(request.user)
    with acting_as(actor):
        check = PregnancyCheck.objects.filter(exam=exam).first() or PregnancyCheck(exam=exam)
        if check.pk is not None:
            require(request, "patients.change_pregnancycheck")
        check.status, check.recorded_by = status, actor
        check.recorded_at = timezone.now()
        check.note = request.POST.get("note", "").strip()[:2000]
        check.save()
    return redirect("exam_detail", pk=exam.pk)


def pregnancy_unchecked(request: HttpRequest) -> HttpResponse:
    """Exams of women of child-bearing age without a pregnancy check, per device and month;
    ``?device=&from=&to=`` filter, ``?format=json`` gives the rows."""
    require(request, "dose.view_exam", "patients.view_pregnancycheck")
    today = timezone.localdate()
    since = _day(request.GET.get("from")) or today - timedelta(days=365)
    until = _day(request.GET.get("to")) or today
    device = request.GET.get("device") or None
    rows = unchecked_pregnancies(visible_exams(request.user), device=device, since=since,
                                 until=until)
    if request.GET.get("format") == "json":
        return JsonResponse({"exams": rows}, json_dumps_params={"ensure_ascii": False})
    return render(request, "patients/pregnancy.html", {
        "rows": rows[:500], "total": len(rows), "counts": by_device_and_month(rows),
        "since": since, "until": until, "device": device or "", "settings": risk.DEFAULTS,
    })


def paediatric(request: HttpRequest) -> HttpResponse:
    """Paediatric exams by RP 185 age and weight group, and each device's paediatric share
    over the last 12 months (the > 5 % rule of the NRD plan)."""
    require(request, "dose.view_exam")
    today = timezone.localdate()
    exams = visible_exams(request.user).filter(study_date__gt=today - timedelta(days=365))
    children = exams.filter(age_years__lt=risk.DEFAULTS.paediatric_below_years)
    return render(request, "patients/paediatric.html", {
        "summary": paediatric_summary(exams),
        "children": children.order_by("-study_date", "-id")[:200],
        "settings": risk.DEFAULTS,
        "age_groups": [label for _b, label in risk.AGE_GROUPS] + ["16-<18 y"],
        "weight_groups": [label for _b, label in risk.WEIGHT_GROUPS] + ["?"],
        "rp185": risk.RP185_SOURCE,
    })


def breast_feeding(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable advice on breast-feeding after a nuclear medicine exam."""
    require(request, "dose.view_exam")
    exam = get_visible_or_404(Exam.objects.select_related("device"), request.user, pk=pk)
    if exam.modality not in ("NM", "PT"):
        raise Http404
    advice = coefficients.find_breast_feeding(exam.radiopharmaceutical, exam.radionuclide)
    return render(request, "patients/breast_feeding.html", {"exam": exam, "advice": advice})


def report_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The dose section of the exam report: text to copy; ``?format=pdf`` or ``json``."""
    require(request, "dose.view_exam")
    exam = get_visible_or_404(Exam.objects.select_related("device"), request.user, pk=pk)
    section = section_of(exam)
    language = _language()
    output = request.GET.get("format")
    if output == "json":
        return JsonResponse(section.as_dict(), json_dumps_params={"ensure_ascii": False})
    if output == "pdf":
        response = HttpResponse(section_pdf(section, language), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="dose-{exam.pk}.pdf"'
        return response
    return render(request, "patients/report.html", {"exam": exam, "section": section,
                                                    "text": section.text(language)})
