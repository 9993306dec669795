"""Pages of the dose data: the dashboard, devices, exams and their irradiation events.

Every page is read-only and keeps its database work to a few aggregate queries: counts are
annotated in SQL, exams are paginated, an exam's events are read once and split by kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kerma.web.dose.models import Device, Event, Exam
from kerma.web.dose.queries import select_exams
from kerma.web.dose.templatetags.kerma_ui import (
    ct_acquisition_label,
    event_type_label,
    format_number,
)

EXAMS_PER_PAGE = 50
LATEST_EXAMS_OF_DEVICE = 20
QUARANTINE_RECENT_DAYS = 30


# --- exams -------------------------------------------------------------------------------


class ExamFilterForm(forms.Form):
    """The filters of the exams list (a GET form: every filtered page can be bookmarked)."""

    modality = forms.ChoiceField(label=_("Modality"), required=False)
    device = forms.ModelChoiceField(
        label=_("Device"),
        queryset=Device.objects.order_by("display_name", "manufacturer", "model"),
        required=False,
        empty_label=_("All devices"),
    )
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
    include_tests = forms.BooleanField(label=_("Include test exams"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = Exam.objects.values_list("modality", flat=True).distinct().order_by("modality")
        choices: list[tuple[str, Any]] = [("", _("All modalities"))]
        choices += [(code, code) for code in present if code]
        self.fields["modality"].choices = choices

    def clean(self) -> dict[str, Any]:
        """Refuse a period that ends before it starts."""
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned


def exam_list(request: HttpRequest) -> HttpResponse:
    """Exams, newest first, filtered by modality, device and period; 50 per page."""
    form = ExamFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # invalid fields are reported on the form; the valid ones still apply
        filters = form.cleaned_data
    modality = filters.get("modality") or ""
    device = filters.get("device")
    exams = select_exams(
        modalities=[modality] if modality else (),
        since=filters.get("since"),
        until=filters.get("until"),
        include_tests=bool(filters.get("include_tests")),
    )
    if device is not None:
        # By primary key: select_exams(device=...) also matches names, which a number could hit.
        exams = exams.filter(device=device)
    page = Paginator(exams, EXAMS_PER_PAGE).get_page(request.GET.get("page"))
    filtered = any(filters.get(k) for k in ("modality", "device", "since", "until"))
    return render(
        request,
        "dose/exam_list.html",
        {"form": form, "page": page, "exams": page.object_list, "filtered": filtered},
    )


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


def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One exam: patient, device, totals, events by kind, the dose reports it was read from."""
    exam = get_object_or_404(Exam.objects.select_related("device"), pk=pk)
    events = list(exam.events.all())
    reports = list(exam.reports.all())
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
            "notes": _distinct_lines(exam.notes),
            "warnings": _distinct_lines(*(r.warnings for r in reports)),
        },
    )
