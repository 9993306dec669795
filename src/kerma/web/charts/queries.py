"""What the charts read from the database: the exams of an act on a device, one column at a time.

The exams of an act are found as an NRD evaluation finds them (:mod:`kerma.web.nrd.services`):
the device's procedure names in the period, each mapped once with the device's protocol-mapping
rules (:func:`~kerma.web.nrd.services.protocol_mapper`), test exams left out. The filter on the
device, the period and the names is done by the database (index on device and study date); only
the one column charted comes back (``values_list``), and the statistics are computed with numpy
(:mod:`kerma.web.charts.aggregate`).

Values are the **exam totals** the dose app stores (total DLP, highest CTDIvol, total DAP, …),
converted to the unit the NRD evaluations use for the act's family. An NRD evaluation of a
per-acquisition act (CT, radiography, mammography) compares one chosen acquisition per exam:
an exam with several acquisitions has a larger total than what the evaluation counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kerma.nrd import ProtocolMapper
from kerma.nrd.rules import DECISION_2019, EVALUATED_QUANTITIES
from kerma.reference.tables import Act
from kerma.reference.vocabulary import Family, Population, Quantity, convert_value, display_unit
from kerma.web.dose.models import Device, Exam
from kerma.web.nrd.references import reference_for_act
from kerma.web.nrd.services import mapping_rules, protocol_mapper

POPULATIONS = ("adult", "paediatric", "all")


@dataclass(frozen=True)
class ChartQuantity:
    """A stored exam total that can be charted: its column, stored unit and NRD quantity."""

    key: str
    column: str
    stored_unit: str
    label: Promise
    reference: Quantity | None = None


QUANTITIES: dict[str, ChartQuantity] = {
    q.key: q
    for q in (
        ChartQuantity(
            "ctdivol", "ctdivol_max_mgy", "mGy", _("CTDIvol (highest)"), Quantity.CTDIVOL
        ),
        ChartQuantity("dlp", "dlp_total_mgycm", "mGy.cm", _("DLP (exam total)"), Quantity.DLP),
        ChartQuantity("dap", "dap_total_gycm2", "Gy.cm2", _("DAP (exam total)"), Quantity.DAP),
        ChartQuantity("dap_fluoro", "dap_fluoro_gycm2", "Gy.cm2", _("DAP, fluoroscopy")),
        ChartQuantity("dap_acquisition", "dap_acquisition_gycm2", "Gy.cm2", _("DAP, acquisitions")),
        ChartQuantity("kar", "kar_total_mgy", "mGy", _("Ka,r (reference point air kerma)")),
        ChartQuantity(
            "fluoro_time", "fluoro_time_s", "s", _("Fluoroscopy time"), Quantity.FLUORO_TIME
        ),
        ChartQuantity("acquisition_time", "acquisition_time_s", "s", _("Acquisition time")),
        ChartQuantity("agd_left", "agd_left_mgy", "mGy", _("AGD, left breast"), Quantity.AGD),
        ChartQuantity("agd_right", "agd_right_mgy", "mGy", _("AGD, right breast"), Quantity.AGD),
        ChartQuantity(
            "activity", "activity_mbq", "MBq", _("Administered activity"), Quantity.ACTIVITY
        ),
    )
}

# The quantities offered for an act, by its family: those the NRD use first, then other totals.
FAMILY_QUANTITIES: dict[Family, tuple[str, ...]] = {
    Family.CT: ("ctdivol", "dlp"),
    Family.RADIOGRAPHY: ("dap", "kar"),
    Family.DENTAL: ("dap", "kar"),
    Family.MAMMOGRAPHY: ("agd_left", "agd_right"),
    Family.INTERVENTIONAL: (
        "dap",
        "fluoro_time",
        "kar",
        "dap_fluoro",
        "dap_acquisition",
        "acquisition_time",
    ),
    Family.NUCLEAR_MEDICINE: ("activity",),
}


def unit_for(quantity: ChartQuantity, family: Family) -> str:
    """Return the unit ``quantity`` is charted in for an act of ``family``: the unit the NRD
    evaluations use (DAP in mGy·cm² for radiography, Gy·cm² for interventional, fluoroscopy
    time in min), else the stored unit."""
    for evaluated in EVALUATED_QUANTITIES.get(family, ()):
        if evaluated.quantity == quantity.reference:
            return evaluated.unit
    return quantity.stored_unit


def factor_for(quantity: ChartQuantity, unit: str) -> float:
    """Return the factor converting ``quantity``'s stored values to ``unit``."""
    if unit == quantity.stored_unit or quantity.reference is None:
        return 1.0
    return convert_value(1.0, quantity.stored_unit, unit, quantity.reference)


def find_act(code: str) -> Act | None:
    """Return the act ``code`` as the NRD evaluations know it (set in use first), or None."""
    return reference_for_act(code)[1]


def reference_lines(act: Act, quantity: ChartQuantity, unit: str, population: str) -> dict | None:
    """Return ``{set, version, status, nrd, vgd, source, note}`` for the act's adult reference
    row of ``quantity`` (values in ``unit``), from the set chosen for the act's family; None when
    the set lists no such row, for a quantity without reference, or for children (their levels
    depend on the weight category: see an evaluation)."""
    if quantity.reference is None or population == "paediatric":
        return None
    active, found = reference_for_act(act.code)
    if found is None:
        return None
    row = active.reference_set.lookup(found.code, Population.ADULT, quantity.reference)
    if row is None:
        return None
    return {
        "set": active.reference_set.label,
        "version": active.version,
        "status": active.status,
        "nrd": row.nrd_in(unit),
        "vgd": row.vgd_in(unit),
        "unit": unit,
        "source": row.source,
        "note": row.note,
    }


def exams(
    device_ids: list[int] | None,
    period_from: date,
    period_to: date,
    population: str = "adult",
) -> QuerySet:
    """Return the non-test exams of ``device_ids`` (every device when None) in the period
    (inclusive) and population: adults (≥ 18 years, unknown age counts as adult, as the yearly
    plan counts them), children (< 18 years) or all."""
    rows = Exam.objects.filter(
        is_test=False, study_date__gte=period_from, study_date__lte=period_to
    )
    if device_ids is not None:
        rows = rows.filter(device_id__in=device_ids)
    limit = DECISION_2019.adult_age_min_years
    if population == "adult":
        rows = rows.filter(Q(age_years__gte=limit) | Q(age_years__isnull=True))
    elif population == "paediatric":
        rows = rows.filter(age_years__lt=limit)
    return rows.order_by()


def last_study_date(device_ids: list[int] | None) -> date | None:
    """Return the date of the latest non-test exam of ``device_ids`` (all when None), or None."""
    rows = Exam.objects.filter(is_test=False, study_date__isnull=False)
    if device_ids is not None:
        rows = rows.filter(device_id__in=device_ids)
    return rows.aggregate(last=Max("study_date"))["last"]


def default_period(device_ids: list[int] | None, today: date) -> tuple[date, date]:
    """Return the twelve months ending on the latest exam of ``device_ids`` (else ``today``)."""
    last = last_study_date(device_ids) or today
    try:
        first = last.replace(year=last.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        first = last.replace(year=last.year - 1, day=28) + timedelta(days=1)
    return first, last


def procedure_names(device_id: int) -> list[str]:
    """Return the distinct procedure names the device ever sent, in order.

    A loose index scan (one index seek per name, a recursive query valid on SQLite and
    PostgreSQL) on the index of (device, procedure): a few milliseconds whatever the number of
    exams, where ``SELECT DISTINCT`` would read every index entry of the device.
    """
    table = connection.ops.quote_name(Exam._meta.db_table)
    device = connection.ops.quote_name("device_id")
    name = connection.ops.quote_name("procedure")
    sql = (
        f"WITH RECURSIVE names(name) AS ("
        f" SELECT MIN({name}) FROM {table} WHERE {device} = %s"
        f" UNION ALL"
        f" SELECT (SELECT MIN({name}) FROM {table} WHERE {device} = %s AND {name} > names.name)"
        f" FROM names WHERE names.name IS NOT NULL"
        f") SELECT name FROM names WHERE name IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [device_id, device_id])
        return [row[0] for row in cursor.fetchall()]


def acts_of_device(device: Device) -> list[dict[str, Any]]:
    """Return the acts the device's procedure names map to, most exams first (all time, test
    exams included: the count only orders the list): ``[{code, label, family, count}]``. Acts no
    reference set knows are left out."""
    mapper = protocol_mapper(device.pk)
    codes = {n: mapper.act_for(str(device.pk), n) for n in procedure_names(device.pk) if n}
    codes = {n: c for n, c in codes.items() if c}
    counts = (
        Exam.objects.filter(device_id=device.pk, procedure__in=list(codes))
        .order_by()
        .values("procedure")
        .annotate(n=Count("id"))
        .values_list("procedure", "n")
    )
    per_act: Counter[str] = Counter()
    for name, n in counts:
        per_act[codes[name]] += n
    result = []
    for code, n in per_act.most_common():
        act = find_act(code)
        if act is not None:
            result.append(
                {"code": act.code, "label": act.label, "family": act.family.value, "count": n}
            )
    return result


def act_names(device_ids: list[int], act_code: str) -> dict[int, list[str]]:
    """Return, per device of ``device_ids``, its procedure names that map to ``act_code`` with its
    rules (as :func:`kerma.web.nrd.services.iter_exam_records` maps them); devices without such a
    name are left out.

    Every name a device ever sent is mapped (a name without exams in a period selects nothing);
    the names come from :func:`procedure_names`, the rules are read once.
    """
    mapper = ProtocolMapper(mapping_rules())  # each device's own rules and the rules for all
    result: dict[int, list[str]] = {}
    for device_id in device_ids:
        names = [
            n
            for n in procedure_names(device_id)
            if n and mapper.act_for(str(device_id), n) == act_code
        ]
        if names:
            result[device_id] = names
    return result


def act_exams(
    device_id: int, names: list[str], period_from: date, period_to: date, population: str
) -> QuerySet:
    """Return the device's non-test exams named ``names`` in the period and population."""
    return exams([device_id], period_from, period_to, population).filter(procedure__in=names)


def sample_stride(device_id: int, period_from: date, period_to: date, limit: int) -> int:
    """Return k ≥ 1 such that one exam in k of the device's exams of the period is at most about
    ``limit`` exams (counted on the index of device and date alone, without reading the exams)."""
    count = Exam.objects.filter(
        device_id=device_id, study_date__gte=period_from, study_date__lte=period_to
    ).count()
    return max(1, -(-count // limit))


def column(rows: QuerySet, quantity: ChartQuantity, factor: float, *extra: str) -> np.ndarray:
    """Return ``quantity``'s values of ``rows`` (nulls left out) times ``factor``, as a float
    array; with ``extra`` columns, a 2-D array whose first column is the value."""
    rows = rows.filter(**{f"{quantity.column}__isnull": False})
    if not extra:
        data = np.fromiter(rows.values_list(quantity.column, flat=True), dtype=float)
        return data * factor
    # None in an extra column becomes NaN.
    table = np.array(list(rows.values_list(quantity.column, *extra)), dtype=float)
    if table.size == 0:
        return np.empty((0, 1 + len(extra)))
    table[:, 0] *= factor
    return table


def display(unit: str) -> str:
    """Return ``unit`` as printed for people (``mGy.cm2`` → ``mGy·cm²``, ``min`` → ``min``)."""
    return display_unit(unit)
