"""The charts page and the data endpoints the browser draws from (JSON, or CSV with
``?format=csv``).

Data endpoints (``/charts/data/<chart>/``), parameters ``device``, ``act``, ``quantity``, ``from``,
``to`` (ISO dates; default: the twelve months ending on the latest exam), ``population``
(``adult`` — the default —, ``paediatric`` or ``all``):

- ``distribution``: histogram of the values of one device and act, with the local median,
  quartiles and the VGD and NRD of the set chosen for the act's family;
- ``monthly``: median, quartiles and number of exams per month, with the reference lines;
- ``devices``: quartiles, median and whiskers per device for one act (every device the user
  sees; ``device`` only marks the one selected);
- ``size``: dose against patient size (``size=bmi`` or ``weight``), at most
  :data:`~kerma.web.charts.aggregate.MAX_POINTS` points sampled, and the median per band of size
  computed on all exams;
- ``/charts/data/evaluation/<id>/?quantity=…``: the sample of an NRD evaluation (values, their
  histogram, the sample median, VGD and NRD as the evaluation recorded them).

Every view needs ``dose.view_exam`` (403 otherwise) and sees only the devices of the user's units
(another unit's device or evaluation: 404; the device comparison leaves them out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.db.models import F, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kerma.charts import aggregate
from kerma.reference.tables import Act
from kerma.reference.vocabulary import PER_ACQUISITION
from kerma.spreadsheet import csv_writer
from kerma.web.accounts.scope import get_visible_or_404, require, visible_devices
from kerma.web.charts.queries import (
    FAMILY_QUANTITIES,
    POPULATIONS,
    QUANTITIES,
    ChartQuantity,
    act_exams,
    act_names,
    acts_of_device,
    column,
    default_period,
    display,
    factor_for,
    find_act,
    last_study_date,
    reference_lines,
    sample_stride,
    unit_for,
)
from kerma.web.dose.models import Device
from kerma.web.nrd.models import Evaluation
from kerma.web.params import as_int

CHARTS = ("distribution", "monthly", "devices", "size")
CHART_TITLES = {
    "distribution": gettext_lazy("Distribution"),
    "monthly": gettext_lazy("Median per month"),
    "devices": gettext_lazy("Comparison of devices"),
    "size": gettext_lazy("Dose and patient size"),
}
SIZES = ("bmi", "weight")
# The most exams of one device the comparison of devices reads (beyond: a systematic sample).
DEVICE_ROWS = 10_000
# Band widths of the size chart's median line: BMI in kg/m², weight in kg.
SIZE_BANDS = {"bmi": 2.0, "weight": 10.0}
# Plausible heights (m) for a BMI, as the NRD sampling rules bound them.
HEIGHT_BOUNDS = (0.3, 2.5)


class BadRequest(ValueError):
    """A parameter that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Selection:
    """What a chart shows: device (None: all it may see), act, quantity, period, population."""

    device: Device | None
    act: Act
    quantity: ChartQuantity
    unit: str
    period_from: date
    period_to: date
    population: str

    @property
    def factor(self) -> float:
        """The factor from the stored unit to the charted unit."""
        return factor_for(self.quantity, self.unit)

    def params(self) -> dict[str, str]:
        """Return the query parameters that select the same data."""
        params = {
            "act": self.act.code,
            "quantity": self.quantity.key,
            "from": self.period_from.isoformat(),
            "to": self.period_to.isoformat(),
            "population": self.population,
        }
        if self.device is not None:
            params = {"device": str(self.device.pk), **params}
        return params


def _date(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from exc


def _device(request: HttpRequest, required: bool) -> Device | None:
    """Return the device of the ``device`` parameter the user may see (404 otherwise)."""
    raw = request.GET.get("device", "")
    if not raw:
        if required:
            raise BadRequest("device: missing")
        return None
    device_id = as_int(raw)
    if device_id is None:
        raise BadRequest(f"device: {raw!r} is not a device id")
    return get_visible_or_404(Device.objects.all(), request.user, "", pk=device_id)


def selection(request: HttpRequest, *, device_required: bool = True) -> Selection:
    """Return the selection of the request's parameters (see the module docstring).

    Raises BadRequest for a missing or invalid parameter, Http404 for a device the user may not
    see.
    """
    device = _device(request, device_required)
    code = request.GET.get("act", "").strip()
    if not code:
        raise BadRequest("act: missing")
    act = find_act(code)
    if act is None:
        raise BadRequest(f"act: {code!r} is in no reference set")
    key = request.GET.get("quantity") or FAMILY_QUANTITIES.get(act.family, ("dap",))[0]
    if key not in QUANTITIES:
        raise BadRequest(f"quantity: {key!r} is not one of {', '.join(QUANTITIES)}")
    population = request.GET.get("population") or "adult"
    if population not in POPULATIONS:
        raise BadRequest(f"population: {population!r} is not one of {', '.join(POPULATIONS)}")
    period_from = _date(request.GET.get("from"), "from")
    period_to = _date(request.GET.get("to"), "to")
    if period_from is None or period_to is None:
        visible = visible_devices(request.user).values_list("pk", flat=True)
        ids = [device.pk] if device else list(visible)
        first, last = default_period(ids, timezone.localdate())
        period_from, period_to = period_from or first, period_to or last
    if period_to < period_from:
        raise BadRequest(f"the period ends ({period_to}) before it starts ({period_from})")
    quantity = QUANTITIES[key]
    return Selection(
        device, act, quantity, unit_for(quantity, act.family), period_from, period_to, population
    )


# ---- the payloads ------------------------------------------------------------------------------


def _quantity_info(quantity: ChartQuantity, unit: str) -> dict[str, str]:
    return {
        "key": quantity.key,
        "label": str(quantity.label),
        "unit": unit,
        "unit_display": display(unit),
    }


def _axis_title(label: str, unit: str) -> str:
    return f"{label} ({display(unit)})"


def _common(chart: str, sel: Selection) -> dict[str, Any]:
    """Return what every chart's JSON holds: selection, reference lines, labels, file name."""
    device = sel.device
    reference = reference_lines(sel.act, sel.quantity, sel.unit, sel.population)
    note = ""
    if sel.act.per == PER_ACQUISITION and sel.quantity.reference is not None:
        note = _(
            "Exam totals: an exam with several acquisitions counts them all, while an NRD "
            "evaluation compares one chosen acquisition per exam."
        )
    if sel.population == "paediatric" and sel.quantity.reference is not None:
        note = " ".join(
            p
            for p in (
                note,
                _("Paediatric reference levels depend on the weight category: see an evaluation."),
            )
            if p
        )
    period = f"{date_format(sel.period_from, 'SHORT_DATE_FORMAT')} → " + date_format(
        sel.period_to, "SHORT_DATE_FORMAT"
    )
    who = dict(_population_choices())[sel.population]
    parts = ["kerma", chart, device.pk if device else "", sel.act.code, sel.quantity.key]
    parts += [sel.period_from.isoformat(), sel.period_to.isoformat()]
    return {
        "chart": chart,
        "title": f"{CHART_TITLES[chart]}: {sel.quantity.label} · {sel.act.code}",
        "subtitle": " · ".join(
            [
                str(device) if device and chart != "devices" else _("devices of your units"),
                period,
                who,
                str(sel.act.label),
            ]
        ),
        "device": {"id": device.pk, "name": str(device)} if device else None,
        "act": {
            "code": sel.act.code,
            "label": sel.act.label,
            "family": sel.act.family.value,
            "per": sel.act.per,
        },
        "quantity": _quantity_info(sel.quantity, sel.unit),
        "population": sel.population,
        "from": sel.period_from.isoformat(),
        "to": sel.period_to.isoformat(),
        "reference": reference,
        "note": note,
        "filename": slugify("-".join(str(p) for p in parts if p != "")),
        "labels": {
            "value": _axis_title(str(sel.quantity.label), sel.unit),
            "exams": _("Exams"),
            "median": _("Local median"),
            "quartiles": _("Quartiles (25–75 %)"),
            "vgd": _("VGD"),
            "nrd": _("NRD"),
            "reference_set": _("Reference set: %(set)s") % {"set": reference["set"]}
            if reference
            else "",
            "empty": _("No exam with this quantity in the period."),
        },
    }


def distribution(sel: Selection) -> dict[str, Any]:
    """Return the histogram of one device and act, with median, quartiles and reference lines."""
    rows = _device_rows(sel)
    values = column(rows, sel.quantity, sel.factor)
    data = _common("distribution", sel)
    reference = data["reference"] or {}
    bins = aggregate.histogram(values, keep_visible=(reference.get("nrd"), reference.get("vgd")))
    stats = aggregate.summary(values)
    data.update(
        n=int(values.size),
        median=stats.median if stats else None,
        q1=stats.q1 if stats else None,
        q3=stats.q3 if stats else None,
        bins=[{"start": b.start, "end": b.end, "count": b.count} for b in bins],
    )
    return data


def _device_rows(sel: Selection) -> QuerySet:
    """Return the selected device's exams of the act in the period and population."""
    assert sel.device is not None
    names = act_names([sel.device.pk], sel.act.code).get(sel.device.pk, [])
    return act_exams(sel.device.pk, names, sel.period_from, sel.period_to, sel.population)


def monthly(sel: Selection) -> dict[str, Any]:
    """Return the median, quartiles and count of each month of the period, with the reference
    lines and the median of the whole period."""
    rows = _device_rows(sel)
    pairs = list(
        rows.filter(**{f"{sel.quantity.column}__isnull": False}).values_list(
            sel.quantity.column, "study_date"
        )
    )
    values = np.fromiter((p[0] for p in pairs), dtype=float, count=len(pairs)) * sel.factor
    months = np.fromiter((aggregate.month_index(p[1]) for p in pairs), np.int64, len(pairs))
    data = _common("monthly", sel)
    stats = aggregate.summary(values)
    data.update(
        n=int(values.size),
        median=stats.median if stats else None,
        months=[
            {"month": m.month, "n": m.n, "median": m.median, "q1": m.q1, "q3": m.q3}
            for m in aggregate.monthly(months, values, sel.period_from, sel.period_to)
        ],
    )
    data["labels"].update(month=_("Month"), monthly_median=_("Monthly median"))
    return data


def devices(sel: Selection, user: Any) -> dict[str, Any]:
    """Return, per visible device with exams of the act, the box of its values.

    A device with more than :data:`DEVICE_ROWS` exams in the period (all acts) is read one exam
    in ``k`` (by id, i.e. in order of arrival, unrelated to the dose): ``sampled_1_in`` says
    ``k``, ``n`` the number of exams the box was computed from.
    """
    boxes = []
    visible = {d.pk: d for d in visible_devices(user)}
    for device_id, names in sorted(act_names(list(visible), sel.act.code).items()):
        device = visible[device_id]
        rows = act_exams(device_id, names, sel.period_from, sel.period_to, sel.population)
        stride = sample_stride(device_id, sel.period_from, sel.period_to, DEVICE_ROWS)
        if stride > 1:
            rows = rows.annotate(slot=F("id") % stride).filter(slot=0)
        stats = aggregate.summary(column(rows, sel.quantity, sel.factor))
        if stats is None:
            continue
        boxes.append(
            {
                "id": device.pk,
                "name": str(device),
                "n": stats.n,
                "sampled_1_in": stride,
                "minimum": stats.minimum,
                "q1": stats.q1,
                "median": stats.median,
                "q3": stats.q3,
                "maximum": stats.maximum,
                "lower_whisker": stats.lower_whisker,
                "upper_whisker": stats.upper_whisker,
                "mean": stats.mean,
            }
        )
    data = _common("devices", sel)
    data.update(
        selected=sel.device.pk if sel.device else None,
        devices=boxes,
    )
    data["labels"]["device"] = _("Device")
    return data


def size(sel: Selection, which: str) -> dict[str, Any]:
    """Return the values against BMI or weight (sampled points) and the median per band."""
    rows = _device_rows(sel)
    # Unknown weight or height come back as NaN, which every comparison below leaves out.
    table = column(rows, sel.quantity, sel.factor, "weight_kg", "height_m")
    total = int(table.shape[0])
    values, weights, heights = table[:, 0], table[:, 1], table[:, 2]
    with np.errstate(invalid="ignore"):
        keep = weights > 0
        if which == "bmi":
            low, high = HEIGHT_BOUNDS
            keep &= (heights >= low) & (heights <= high)
    values, weights, heights = values[keep], weights[keep], heights[keep]
    if which == "bmi":
        sizes = weights / heights**2
        axis = _axis_title(_("BMI"), "kg/m²")
    else:
        sizes = weights
        axis = _axis_title(_("Weight"), "kg")
    shown = aggregate.sample_indices(int(values.size))
    data = _common("size", sel)
    data.update(
        size=which,
        n=int(values.size),
        n_without_size=total - int(values.size),
        points=[[float(sizes[i]), float(values[i])] for i in shown],
        trend=[
            {"start": b.start, "end": b.end, "n": b.n, "median": b.median}
            for b in aggregate.banded_medians(sizes, values, SIZE_BANDS[which])
        ],
    )
    data["labels"].update(
        size=axis,
        points=_("Exams"),
        trend=_("Median per band"),
        sampled=_("%(shown)s of %(n)s exams shown") % {"shown": len(shown), "n": values.size},
    )
    return data


# ---- CSV ---------------------------------------------------------------------------------------


def csv_table(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Return the header and rows of a chart's CSV: exactly the aggregated rows of its JSON."""
    unit = data["quantity"]["unit"]
    chart = data["chart"]
    if chart == "distribution":
        header = [f"bin_start_{unit}", f"bin_end_{unit}", "count"]
        return header, [[b["start"], b["end"], b["count"]] for b in data["bins"]]
    if chart == "monthly":
        header = ["month", "n", f"median_{unit}", f"q1_{unit}", f"q3_{unit}"]
        return header, [[m["month"], m["n"], m["median"], m["q1"], m["q3"]] for m in data["months"]]
    if chart == "devices":
        names = ["minimum", "q1", "median", "q3", "maximum", "lower_whisker", "upper_whisker"]
        header = ["device_id", "device", "n", "sampled_1_in"]
        header += [*(f"{n}_{unit}" for n in names), f"mean_{unit}"]
        rows = [
            [d["id"], d["name"], d["n"], d["sampled_1_in"], *(d[n] for n in names), d["mean"]]
            for d in data["devices"]
        ]
        return header, rows
    if chart == "size":
        size_unit = "kg_m2" if data["size"] == "bmi" else "kg"
        header = [f"{data['size']}_{size_unit}", f"{data['quantity']['key']}_{unit}"]
        return header, [list(p) for p in data["points"]]
    if chart == "evaluation":
        header = ["rank", "study_date", f"{data['quantity']['key']}_{unit}"]
        return header, [[v["rank"], v["study_date"], v["value"]] for v in data["values"]]
    raise ValueError(f"no CSV for chart {chart!r}")


class _Echo:
    """A file-like object whose write returns the text, for streaming a csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    # repr() keeps every digit of a float (the CSV reads back to the JSON's values).
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def csv_response(data: dict[str, Any]) -> StreamingHttpResponse:
    """Return the chart's CSV (UTF-8, comma-separated), streamed row by row."""
    header, rows = csv_table(data)
    writer = csv_writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{data["filename"]}.csv"'
    return response


def _respond(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return csv_response(data)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


# ---- views -------------------------------------------------------------------------------------


def chart_data(request: HttpRequest, chart: str) -> HttpResponse:
    """The data of one chart (JSON; CSV with ``format=csv``); 400 with ``{error}`` for a bad
    parameter."""
    require(request, "dose.view_exam")
    if chart not in CHARTS:
        raise Http404
    try:
        sel = selection(request, device_required=chart != "devices")
        builders: dict[str, Callable[[], dict[str, Any]]] = {
            "distribution": lambda: distribution(sel),
            "monthly": lambda: monthly(sel),
            "devices": lambda: devices(sel, request.user),
            "size": lambda: size(sel, _size_param(request)),
        }
        data = builders[chart]()
    except BadRequest as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return _respond(request, data)


def _size_param(request: HttpRequest) -> str:
    which = request.GET.get("size") or "bmi"
    if which not in SIZES:
        raise BadRequest(f"size: {which!r} is not one of {', '.join(SIZES)}")
    return which


def evaluation_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The sample of an NRD evaluation for one of its quantities (JSON; CSV with
    ``format=csv``): values in sample order, histogram, median, VGD and NRD as recorded."""
    require(request, "dose.view_exam", "nrd.view_evaluation")
    evaluation = get_visible_or_404(
        Evaluation.objects.select_related("device"), request.user, "device__", pk=pk
    )
    results = {r["quantity"]: r for r in evaluation.results}
    key = request.GET.get("quantity") or next(iter(results), "")
    result = results.get(key)
    if result is None:
        return JsonResponse(
            {"error": f"quantity: {key!r} is not a result of evaluation {pk}"}, status=400
        )
    values = [
        {"rank": rank, "study_date": item.get("study_date"), "value": item["values"][key]}
        for rank, item in enumerate(evaluation.selected, start=1)
        if (item.get("values") or {}).get(key) is not None
    ]
    array = np.array([v["value"] for v in values], dtype=float)
    bins = aggregate.histogram(array, bins=12, keep_visible=(result.get("vgd"), result.get("nrd")))
    from kerma.web.nrd.views import QUANTITY_LABELS

    label = str(QUANTITY_LABELS.get(key, key))
    unit = result.get("unit") or ""
    data = {
        "chart": "evaluation",
        "evaluation": evaluation.pk,
        "title": _("Sample of evaluation #%(id)s: %(quantity)s")
        % {"id": evaluation.pk, "quantity": label},
        "subtitle": f"{evaluation.device_label or evaluation.device} · {evaluation.act_code} "
        f"{evaluation.act_label}",
        "act": {"code": evaluation.act_code, "label": evaluation.act_label},
        "quantity": {"key": key, "label": label, "unit": unit, "unit_display": display(unit)},
        "n": len(values),
        "median": result.get("median"),
        "reference": {
            "set": evaluation.reference_set,
            "version": evaluation.reference_version,
            "status": evaluation.reference_status,
            "nrd": result.get("nrd"),
            "vgd": result.get("vgd"),
            "unit": unit,
        },
        "status": result.get("status"),
        "indicative": bool(result.get("indicative")),
        "bins": [{"start": b.start, "end": b.end, "count": b.count} for b in bins],
        "values": values,
        "note": "",
        "filename": slugify(f"kerma-evaluation-{evaluation.pk}-{evaluation.act_code}-{key}"),
        "labels": {
            "value": _axis_title(label, unit),
            "exams": _("Exams"),
            "median": _("Sample median"),
            "vgd": _("VGD"),
            "nrd": _("NRD"),
            "values": _("Exams of the sample"),
            "reference_set": _("Reference set: %(set)s") % {"set": evaluation.reference_set},
            "empty": _("No value in the sample."),
        },
    }
    return _respond(request, data)


def _url(chart: str, params: dict[str, str]) -> str:
    return f"{reverse('charts_data', args=[chart])}?{urlencode(params)}"


def _default_device(devices: list[Device], today: date) -> Device | None:
    """Return the device to show first: the most recently active one whose exams of its last
    twelve months map to an act (else the most recently active one)."""
    dated = sorted(
        ((last_study_date([d.pk]) or date.min, d) for d in devices),
        key=lambda item: item[0],
        reverse=True,
    )
    for _last, device in dated[:10]:
        if acts_of_device(device):
            return device
    return dated[0][1] if dated else None


def charts_page(request: HttpRequest) -> HttpResponse:
    """The charts of one device, act and quantity: distribution, months, devices, patient size."""
    require(request, "dose.view_exam")
    devices = list(visible_devices(request.user))
    context: dict[str, Any] = {"devices": devices, "populations": _population_choices()}
    raw = request.GET.get("device", "")
    device = next((d for d in devices if str(d.pk) == raw), None)
    if raw and device is None:
        raise Http404  # another unit's device, or no such device
    device = device or _default_device(devices, timezone.localdate())
    context["device"] = device
    if device is None:
        return render(request, "charts/index.html", context)
    try:
        period_from = _date(request.GET.get("from"), "from")
        period_to = _date(request.GET.get("to"), "to")
    except BadRequest as exc:
        context["error"] = str(exc)
        period_from = period_to = None
    if period_from is None or period_to is None:
        first, last = default_period([device.pk], timezone.localdate())
        period_from, period_to = period_from or first, period_to or last
    acts = acts_of_device(device)
    code = request.GET.get("act", "")
    act = find_act(code) if code else None
    if act is None or not any(a["code"] == act.code for a in acts):
        act = find_act(acts[0]["code"]) if acts else None
    population = request.GET.get("population")
    population = population if population in POPULATIONS else "adult"
    which = request.GET.get("size")
    which = which if which in SIZES else "bmi"
    context.update(
        acts=acts,
        act=act,
        period_from=period_from,
        period_to=period_to,
        population=population,
        size=which,
        sizes=[("bmi", _("BMI")), ("weight", _("Weight"))],
    )
    if act is None:
        return render(request, "charts/index.html", context)
    keys = FAMILY_QUANTITIES.get(act.family, ())
    key = request.GET.get("quantity")
    key = key if key in keys else keys[0]
    quantity = QUANTITIES[key]
    sel = Selection(
        device,
        act,
        quantity,
        unit_for(quantity, act.family),
        period_from,
        period_to,
        population,
    )
    params = sel.params()
    context.update(
        quantity=quantity,
        quantities=[QUANTITIES[k] for k in keys],
        urls={
            "distribution": _url("distribution", params),
            "monthly": _url("monthly", params),
            "devices": _url("devices", params),
            "size": _url("size", {**params, "size": which}),
        },
    )
    return render(request, "charts/index.html", context)


def _population_choices() -> list[tuple[str, str]]:
    return [("adult", _("Adults")), ("paediatric", _("Children")), ("all", _("All patients"))]
