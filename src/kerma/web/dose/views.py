"""Pages of the exams: the filtered list (keyset pages, CSV/XLSX export) and one exam with its
totals, events and source documents.

Every page is read-only, needs ``dose.view_exam`` and shows only the exams of the user's units
(another unit's exam answers 404). The list stays fast on a million exams: a page is an index
range read from a cursor, the count stops at :data:`COUNT_CAP`; an exam's events are read once
and split by kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

import kerma.dicom.wording  # noqa: F401  (declare the codes of the exam's notes and warnings)
import kerma.exams  # noqa: F401
import kerma.plausibility  # noqa: F401
from kerma.web.accounts.scope import (
    get_visible_or_404,
    require,
    visible_device_ids,
)
from kerma.web.dose.exports import EXPORT_FORMATS, export_exams
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.dose.panels import Panel, exam_panels
from kerma.web.dose.participants import exam_staff
from kerma.web.dose.patient_flags import patient_flags
from kerma.web.dose.queries import (
    Cursor,
    ExamFilters,
    KeysetPage,
    bounded_count,
    capped_count,
    distinct_modalities,
    filter_exams,
    keyset_page,
    with_list_device,
)
from kerma.web.dose.templatetags.kerma_ui import (
    ct_acquisition_label,
    event_type_label,
    format_number,
)
from kerma.web.wording import word

EXAMS_PER_PAGE = 50
#: The list counts its exams up to this number, then says "more than" (a count reads every row).
COUNT_CAP = 10_000
#: ... and gives up counting after this long (a selective filter no index serves), unless asked.
COUNT_BUDGET_S = 0.06


# --- exams -------------------------------------------------------------------------------

SEX_CHOICES = [("", _("All")), ("F", _("Female")), ("M", _("Male")), ("O", _("Other"))]


@dataclass(frozen=True)
class RangeFilter:
    """A pair of bounds of the filter form: ``<name>_min`` and ``<name>_max`` (inclusive)."""

    name: str
    key: str  # a key of kerma.web.dose.queries.RANGE_COLUMNS
    label: str | Promise
    unit: str
    whole: bool = False  # whole numbers (ages in years)


RANGE_FILTERS = [
    RangeFilter("age", "age_years", _("Age"), _("years"), whole=True),
    RangeFilter("weight", "weight_kg", _("Weight"), "kg"),
    RangeFilter("height", "height_m", _("Height"), "m"),
    RangeFilter("bmi", "bmi", _("BMI"), "kg/m²"),
    RangeFilter("dap", "dap_total_gycm2", _("DAP total"), "Gy·cm²"),
    RangeFilter("dlp", "dlp_total_mgycm", _("DLP total"), "mGy·cm"),
    RangeFilter("ctdivol", "ctdivol_max_mgy", _("CTDIvol max"), "mGy"),
    RangeFilter("kar", "kar_total_mgy", _("Ka,r total"), "mGy"),
    RangeFilter("agd", "agd_mgy", _("AGD (either breast)"), "mGy"),
    RangeFilter("activity", "activity_mbq", _("Activity"), "MBq"),
]
PATIENT_RANGES = ("age", "weight", "height", "bmi")


def act_choices() -> list[tuple[str, str]]:
    """Return the NRD acts some protocol mapping leads to, as (code, "code — label")."""
    # An allowed dose → nrd import (issue 10), as in queries.act_filter.
    from kerma.web.nrd.models import ProtocolMapping
    from kerma.web.nrd.references import listed_acts

    codes = sorted(set(ProtocolMapping.objects.values_list("act_code", flat=True)))
    if not codes:
        return []
    acts = listed_acts()
    return [(c, f"{c} — {acts[c].label}" if c in acts else c) for c in codes]


class ExamFilterForm(forms.Form):
    """The filters of the exams list (a GET form: every filtered page can be bookmarked).

    Bounds are inclusive; ages are whole years ("up to 17" keeps a child of 17 years and 11
    months); decimals may be written with a comma in French.
    """

    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    device = forms.ModelChoiceField(
        label=_("Device"), queryset=Device.objects.none(), required=False, empty_label=_("All")
    )
    modality = forms.ChoiceField(label=_("Modality"), required=False)
    act = forms.ChoiceField(label=_("NRD act"), required=False)
    protocol = forms.CharField(
        label=_("Protocol contains"), required=False, max_length=200, strip=True
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=SEX_CHOICES)
    include_tests = forms.BooleanField(label=_("Include test exams"), required=False)

    def __init__(self, *args: Any, device_ids: list[int] | None = None, **kwargs: Any) -> None:
        """``device_ids``: the devices the user may choose (None: every device)."""
        super().__init__(*args, **kwargs)
        devices = Device.objects.all()
        if device_ids is not None:
            devices = devices.filter(pk__in=device_ids)
        self.fields["device"].queryset = devices.order_by(
            "display_name", "manufacturer", "model", "id"
        )
        modalities: list[tuple[str, Any]] = [("", _("All"))]
        modalities += [(code, code) for code in distinct_modalities()]
        self.fields["modality"].choices = modalities
        self.fields["act"].choices = [("", _("All")), *act_choices()]
        for spec in RANGE_FILTERS:
            for end, label in (("min", _("from")), ("max", _("to"))):
                if spec.whole:
                    field_: forms.Field = forms.IntegerField(
                        min_value=0, max_value=150, widget=forms.TextInput
                    )
                else:
                    field_ = forms.FloatField(min_value=0, localize=True)
                field_.required = False
                field_.label = f"{spec.label} {label}"
                field_.widget.attrs.update({"inputmode": "decimal", "size": 6})
                self.fields[f"{spec.name}_{end}"] = field_

    def clean(self) -> dict[str, Any]:
        """Refuse a period that ends before it starts, and a range whose end is below its start."""
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        for spec in RANGE_FILTERS:
            low, high = cleaned.get(f"{spec.name}_min"), cleaned.get(f"{spec.name}_max")
            if low is not None and high is not None and high < low:
                self.add_error(f"{spec.name}_max", _("The upper bound is below the lower one."))
        return cleaned

    def main_fields(self) -> list[forms.BoundField]:
        """The filters shown first (period, device, modality, act, protocol, sex)."""
        return [
            self[name]
            for name in ("since", "until", "device", "modality", "act", "protocol", "sex")
        ]

    def range_rows(self, names: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Return the range filters for the template: spec, its two bound fields (bound)."""
        return [
            {"spec": spec, "low": self[f"{spec.name}_min"], "high": self[f"{spec.name}_max"]}
            for spec in RANGE_FILTERS
            if names is None or (spec.name in names)
        ]

    def dose_rows(self) -> list[dict[str, Any]]:
        """The dose range filters (for the template)."""
        return [r for r in self.range_rows() if r["spec"].name not in PATIENT_RANGES]

    def patient_rows(self) -> list[dict[str, Any]]:
        """The patient range filters (for the template)."""
        return self.range_rows(PATIENT_RANGES)

    def filters(self) -> ExamFilters:
        """Return the valid criteria (a field in error is left out and reported on the form)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        device = data.get("device")
        ranges = {
            spec.key: (data.get(f"{spec.name}_min"), data.get(f"{spec.name}_max"))
            for spec in RANGE_FILTERS
            if data.get(f"{spec.name}_min") is not None or data.get(f"{spec.name}_max") is not None
        }
        return ExamFilters(
            modality=data.get("modality") or "",
            device_id=device.pk if device is not None else None,
            since=data.get("since"),
            until=data.get("until"),
            act=data.get("act") or "",
            protocol=data.get("protocol") or "",
            sex=data.get("sex") or "",
            include_tests=bool(data.get("include_tests")),
            ranges=ranges,
        )

    def advanced_used(self) -> bool:
        """True when a patient or dose range is filled in (the template opens that part)."""
        return any(
            self.data.get(f"{spec.name}_{end}") for spec in RANGE_FILTERS for end in ("min", "max")
        )


def visible_exams(filters: ExamFilters, device_ids: list[int] | None) -> QuerySet[Exam]:
    """Return the exams of the devices ``device_ids`` (None: all) matching ``filters``."""
    exams = Exam.objects.select_related("device")
    if device_ids is None:
        return filter_exams(exams, filters)
    # The unit's devices are listed by id rather than joined, through an expression no index
    # serves: a join or an IN on the device index would make the database gather and sort all
    # the unit's exams before it can return page 1.
    scoped = with_list_device(exams).filter(list_device__in=device_ids)
    return filter_exams(scoped, filters, device_ids=device_ids)


def _filter_form(
    request: HttpRequest, device_ids: list[int] | None
) -> tuple[ExamFilterForm, ExamFilters]:
    params = request.GET.copy()
    for key in ("after", "before", "last", "export", "page", "count"):
        params.pop(key, None)
    form = ExamFilterForm(params or None, device_ids=device_ids)
    if form.is_bound:
        form.is_valid()  # invalid fields are reported on the form; the valid ones still apply
    return form, form.filters()


def exam_list(request: HttpRequest) -> HttpResponse:
    """Exams, newest first, filtered; 50 per page read from a cursor; CSV or XLSX export.

    ``after`` / ``before`` (a cursor: date~time~id) turn the pages, ``last`` opens the last
    one; ``export=csv|xlsx`` downloads every exam of the filtered list (not only the page).
    """
    require(request, "dose.view_exam")
    device_ids = visible_device_ids(request.user)
    form, filters = _filter_form(request, device_ids)
    exams = visible_exams(filters, device_ids)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        if form.is_bound and form.errors:
            return render(
                request, "dose/exam_list.html", _list_context(form, None, 0, False), status=400
            )
        return export_exams(exams, export)
    page = keyset_page(
        exams,
        size=EXAMS_PER_PAGE,
        after=Cursor.decode(request.GET.get("after")),
        before=Cursor.decode(request.GET.get("before")),
        last=bool(request.GET.get("last")),
    )
    first = not page.has_previous and not request.GET.get("before")
    _set_urls(page.exams)
    _set_flags(request.user, page.exams)
    # When the whole list is on this page its length is the count; else count (up to the cap,
    # within a time budget unless the user asked for the count).
    count: int | None
    if first and not page.has_next:
        count = len(page.exams)
    elif request.GET.get("count") == "all":
        count = capped_count(exams, None)
    else:
        count = bounded_count(exams, COUNT_CAP, COUNT_BUDGET_S)
    more = count is not None and count > COUNT_CAP and request.GET.get("count") != "all"
    return render(request, "dose/exam_list.html", _list_context(form, page, count, more))


def _set_urls(exams: list[Exam]) -> None:
    """Give each exam its page's and its device's URL, reversing each URL pattern once."""
    marker = 987654321
    exam_url = reverse("exam_detail", args=[marker]).replace(str(marker), "{}")
    device_url = reverse("device_detail", args=[marker]).replace(str(marker), "{}")
    for exam in exams:
        exam.detail_url = exam_url.format(exam.pk)
        exam.device_url = device_url.format(exam.device_id)


def _set_flags(user: Any, exams: list[Exam]) -> None:
    """Give each exam its patient's at-risk flags (``exam.at_risk_flags``, labels) that ``user``
    may see, in one lookup for the page (the patients app registers it)."""
    flags = patient_flags(user, {exam.patient_key for exam in exams})
    for exam in exams:
        exam.at_risk_flags = flags.get(exam.patient_key, [])


def _list_context(
    form: ExamFilterForm, page: KeysetPage | None, count: int | None, more: bool
) -> dict[str, Any]:
    filtered = form.is_bound and any(
        value not in (None, "", False) for value in (form.cleaned_data or {}).values()
    )
    return {
        "form": form,
        "page": page,
        "exams": page.exams if page else [],
        "count": None if count is None else (COUNT_CAP if more else count),
        "count_more": more,
        "count_unknown": count is None,
        "count_cap": COUNT_CAP,
        "filtered": filtered,
        "can_export": not (form.is_bound and form.errors),
    }


@dataclass(frozen=True)
class Column:
    """A column of an events table: its heading, unit, and how to read and show the value."""

    label: str | Promise
    unit: str = ""
    field: str = ""
    read: Callable[[Event], Any] | None = None
    show: Callable[[Any], str] = format_number
    numeric: bool = True

    def cell(self, event: Event) -> str:
        """The text of this column for one event ("" when unknown)."""
        value = self.read(event) if self.read else getattr(event, self.field)
        if value is None or value == "":
            return ""
        return self.show(value)


def _text(value: Any) -> str:
    return str(value)


def _time(value: Any) -> str:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "H:i:s")


def _field_size(event: Event) -> str | None:
    if event.field_width_mm and event.field_height_mm:
        return (
            f"{format_number(event.field_width_mm, 3)} × {format_number(event.field_height_mm, 3)}"
            " mm"
        )
    if event.field_area_cm2:
        return f"{format_number(event.field_area_cm2, 3)} cm²"
    return None


def _filter(event: Event) -> str | None:
    if not event.filter_material and event.filter_thickness_mm is None:
        return None
    thickness = event.filter_thickness_mm
    parts = [event.filter_material] + ([f"{format_number(thickness, 3)} mm"] if thickness else [])
    return " ".join(p for p in parts if p)


def _view(event: Event) -> str | None:
    plane = "" if event.plane == "single" else event.plane
    parts = [plane, event.laterality, event.image_view]
    return " ".join(p for p in parts if p) or None


_STARTED = Column(_("Time"), field="started", show=_time, numeric=False)

CT_COLUMNS = [
    _STARTED,
    Column(_("Protocol"), field="protocol", show=_text, numeric=False),
    Column(_("Region"), field="target_region", show=_text, numeric=False),
    Column(
        _("Acquisition type"), field="acquisition_type", show=ct_acquisition_label, numeric=False
    ),
    Column(_("CTDIvol"), "mGy", "ctdivol_mgy"),
    Column(_("DLP"), "mGy·cm", "dlp_mgycm"),
    Column(_("Phantom"), "cm", "phantom_cm"),
    Column(_("SSDE"), "mGy", "ssde_mgy"),
    Column(_("Water-eq. diameter"), "mm", "water_equivalent_diameter_mm"),
    Column(_("Tube voltage"), "kV", "kvp_kv"),
    Column(_("Tube current"), "mA", "tube_current_ma"),
    Column(_("Exposure"), "mAs", "exposure_mas"),
    Column(_("Rotation time"), "s", "rotation_time_s"),
    Column(_("Pitch"), "", "pitch"),
    Column(_("Collimation"), "mm", "collimation_mm"),
    Column(_("Scan length"), "mm", "scan_length_mm"),
]

PROJECTION_COLUMNS = [
    _STARTED,
    Column(_("Type"), field="event_type", show=event_type_label, numeric=False),
    Column(_("Protocol"), field="protocol", show=_text, numeric=False),
    Column(_("Region"), field="target_region", show=_text, numeric=False),
    Column(_("View"), read=_view, show=_text, numeric=False),
    Column(_("DAP"), "Gy·cm²", "dap_gycm2"),
    Column(_("Ka,r"), "mGy", "kar_mgy"),
    Column(_("AGD"), "mGy", "agd_mgy"),
    Column(_("Entrance dose"), "mGy", "entrance_dose_mgy"),
    Column(_("Primary angle"), "°", "primary_angle_deg"),
    Column(_("Secondary angle"), "°", "secondary_angle_deg"),
    Column(_("Source–detector"), "mm", "source_detector_mm"),
    Column(_("Source–isocentre"), "mm", "source_isocentre_mm"),
    Column(_("Table long."), "mm", "table_longitudinal_mm"),
    Column(_("Table lat."), "mm", "table_lateral_mm"),
    Column(_("Table height"), "mm", "table_height_mm"),
    Column(_("Field size"), read=_field_size, show=_text),
    Column(_("Compression"), "mm", "compression_thickness_mm"),
    Column(_("Tube voltage"), "kV", "kvp_kv"),
    Column(_("Tube current"), "mA", "tube_current_ma"),
    Column(_("Exposure"), "mAs", "exposure_mas"),
    Column(_("Pulse width"), "ms", "pulse_width_ms"),
    Column(_("Pulse rate"), "/s", "pulse_rate_per_s"),
    Column(_("Frames"), "", "frames"),
    Column(_("Duration"), "s", "irradiation_duration_s"),
    Column(_("Filter"), read=_filter, show=_text, numeric=False),
]

NM_COLUMNS = [
    _STARTED,
    Column(_("Radionuclide"), field="radionuclide", show=_text, numeric=False),
    Column(_("Radiopharmaceutical"), field="radiopharmaceutical", show=_text, numeric=False),
    Column(_("Activity"), "MBq", "activity_mbq"),
    Column(_("Route"), field="route", show=_text, numeric=False),
]

EVENT_KINDS: list[tuple[str, str | Promise, list[Column]]] = [
    ("ct", _("CT acquisitions"), CT_COLUMNS),
    ("projection", _("Irradiation events"), PROJECTION_COLUMNS),
    ("nm", _("Administrations"), NM_COLUMNS),
]


@dataclass
class EventTable:
    """The events of one kind, with only the columns that have a value for at least one."""

    kind: str
    title: str | Promise
    columns: list[Column]
    #: one list per event of (text, is numeric) cells, aligned with the columns
    rows: list[list[tuple[str, bool]]] = field(default_factory=list)


def event_tables(events: list[Event]) -> list[EventTable]:
    """Split an exam's events by kind into tables, dropping columns empty for every event."""
    tables = []
    known = {kind for kind, _title, _columns in EVENT_KINDS}
    for kind, title, columns in EVENT_KINDS:
        of_kind = [e for e in events if e.kind == kind]
        if not of_kind:
            continue
        cells = [[c.cell(e) for c in columns] for e in of_kind]
        keep = [i for i in range(len(columns)) if any(row[i] for row in cells)]
        kept = [columns[i] for i in keep]
        rows = [[(row[i], columns[i].numeric) for i in keep] for row in cells]
        tables.append(EventTable(kind, title, kept, rows))
    others = [e for e in events if e.kind not in known]
    if others:
        columns = [_STARTED, Column(_("Kind"), field="kind", show=_text, numeric=False)]
        rows = [[(c.cell(e), c.numeric) for c in columns] for e in others]
        tables.append(EventTable("other", _("Other events"), columns, rows))
    return tables


@dataclass(frozen=True)
class Total:
    """One total of an exam, shown with its unit (and a conversion where the NRD use one)."""

    label: str | Promise
    value: str
    unit: str = ""
    note: str = ""


def exam_total_rows(exam: Exam) -> list[Total]:
    """The exam's known totals, each with its unit, in the order a physicist reads them."""
    numeric = [
        (_("DLP total"), exam.dlp_total_mgycm, "mGy·cm"),
        (_("CTDIvol max"), exam.ctdivol_max_mgy, "mGy"),
        (_("DAP total"), exam.dap_total_gycm2, "Gy·cm²"),
        (_("DAP fluoroscopy"), exam.dap_fluoro_gycm2, "Gy·cm²"),
        (_("DAP acquisition"), exam.dap_acquisition_gycm2, "Gy·cm²"),
        (_("Ka,r total"), exam.kar_total_mgy, "mGy"),
        (_("Fluoroscopy time"), exam.fluoro_time_s, "s"),
        (_("Acquisition time"), exam.acquisition_time_s, "s"),
        (_("AGD left breast"), exam.agd_left_mgy, "mGy"),
        (_("AGD right breast"), exam.agd_right_mgy, "mGy"),
        (_("Administered activity"), exam.activity_mbq, "MBq"),
    ]
    rows = []
    for label, value, unit in numeric:
        if value is None:
            continue
        note = ""
        if unit == "s" and value >= 60:
            note = f"{format_number(value / 60, 3)} min"
        elif unit == "Gy·cm²" and exam.modality in ("DX", "CR", "MG", "IO", "PX"):
            note = f"{format_number(value * 1000)} mGy·cm²"
        rows.append(Total(label, format_number(value, 5), unit, note))
    if exam.radionuclide:
        rows.append(Total(_("Radionuclide"), exam.radionuclide))
    if exam.radiopharmaceutical:
        rows.append(Total(_("Radiopharmaceutical"), exam.radiopharmaceutical))
    return rows


def _distinct_lines(*texts: str) -> list[tuple[str, int]]:
    """Non-empty lines of the texts, each once with its number of occurrences, in order."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(line.strip() for line in (text or "").splitlines() if line.strip())
    return list(counts.items())


def _worded_lines(notices: list[Any] | None, text: str) -> str:
    """Return the stored notices worded in the page's language, one a line; ``text`` (their
    English lines) for a row stored before notices."""
    if notices:
        return "\n".join(word(found) for found in notices)
    return text


def _render_panel(request: HttpRequest, exam: Exam, panel: Panel) -> str:
    """Return a panel's HTML: its template with its own context (and ``exam``, ``panel``)."""
    context = {"exam": exam, "panel": panel, **panel.context}
    return render_to_string(panel.template, context, request=request)


def _sop_class_name(uid: str) -> str:
    """Return the DICOM name of a SOP class UID (the UID itself when pydicom does not know it)."""
    from pydicom.uid import UID

    try:
        return str(UID(uid).name)
    except Exception:  # a malformed UID is shown as it is
        return uid


def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One exam: patient, device, totals, events by kind, the dose reports it was read from,
    and the panels other apps add (alerts, skin dose...)."""
    require(request, "dose.view_exam")
    exam = get_visible_or_404(Exam.objects.select_related("device"), request.user, pk=pk)
    events = list(exam.events.all())
    reports = list(exam.reports.order_by("received_at", "id"))
    for report in reports:
        report.sop_class_name = _sop_class_name(report.sop_class_uid)
    warnings = _distinct_lines(*(_worded_lines(r.warning_notices, r.warnings) for r in reports))
    # The exam's notes repeat its reports' warnings: each is listed once, with its count.
    said = {line for line, _ in warnings}
    notes = _distinct_lines(_worded_lines(exam.notices, exam.notes))
    return render(
        request,
        "dose/exam_detail.html",
        {
            "exam": exam,
            "device": exam.device,
            "totals": exam_total_rows(exam),
            "tables": event_tables(events),
            "event_total": len(events),
            "reports": reports,
            "notes": [(line, count) for line, count in notes if line not in said],
            "warnings": warnings,
            "staff": exam_staff(exam),
            "panels": [_render_panel(request, exam, panel) for panel in exam_panels(request, exam)],
        },
    )
