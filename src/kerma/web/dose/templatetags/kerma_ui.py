"""Presentation helpers: localized numbers and doses, ages, coded values turned into labels.

Numbers are shown with the active language's decimal separator (a comma in French), without
thousands grouping, rounded to a number of significant digits rather than decimals: doses span
several orders of magnitude (0.0001 Gy·cm² for a dental view, 10⁴ mGy·cm for a multiphase CT).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kerma.web.dose.models import Exam
from kerma.web.dose.queries import main_dose

register = template.Library()

#: DICOM modality codes met in dose management, with their names.
MODALITY_LABELS = {
    "CT": gettext_lazy("Computed tomography"),
    "CR": gettext_lazy("Computed radiography"),
    "DX": gettext_lazy("Digital radiography"),
    "MG": gettext_lazy("Mammography"),
    "RF": gettext_lazy("Fluoroscopy"),
    "XA": gettext_lazy("X-ray angiography"),
    "IO": gettext_lazy("Intra-oral radiography"),
    "PX": gettext_lazy("Panoramic X-ray"),
    "NM": gettext_lazy("Nuclear medicine"),
    "PT": gettext_lazy("PET"),
}

#: Irradiation event types of projection X-ray (TID 10003), as stored by the import.
EVENT_TYPE_LABELS = {
    "fluoroscopy": gettext_lazy("Fluoroscopy"),
    "stationary": gettext_lazy("Acquisition"),
    "stepping": gettext_lazy("Stepping acquisition"),
    "rotational": gettext_lazy("Rotational acquisition"),
}

#: CT acquisition types (TID 10013), as stored by the import.
CT_ACQUISITION_LABELS = {
    "spiral": gettext_lazy("Spiral"),
    "helical": gettext_lazy("Spiral"),
    "sequenced": gettext_lazy("Sequenced"),
    "constant_angle": gettext_lazy("Constant angle (localizer)"),
    "stationary": gettext_lazy("Stationary"),
    "free": gettext_lazy("Free"),
    "cone_beam": gettext_lazy("Cone beam"),
}

#: Where a dose report came from (Report.source).
REPORT_SOURCE_LABELS = {
    "rdsr": gettext_lazy("Dose structured report"),
    "image": gettext_lazy("Image header"),
    "dose-screen": gettext_lazy("Dose screen"),
    "spreadsheet": gettext_lazy("Spreadsheet"),
    "manual": gettext_lazy("Manual entry"),
}

SEX_LABELS = {
    "M": gettext_lazy("Male"),
    "F": gettext_lazy("Female"),
    "O": gettext_lazy("Other"),
}

_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def format_number(value: Any, digits: int = 4) -> str:
    """Return a number rounded to ``digits`` significant digits, localized ("" when unknown).

    Trailing zeros are dropped and no exponent is ever shown: 120.0 → "120",
    0.000109312 → "0.0001093" ("0,0001093" in French), 541.123 → "541.1".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(number)
    magnitude = math.floor(math.log10(abs(number))) if number else 0
    decimals = max(0, digits - 1 - magnitude)
    text = f"{number:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return formats.number_format(Decimal(text), use_l10n=True)


@register.filter
def sig(value: Any, digits: int = 4) -> str:
    """Template filter: ``{{ value|sig }}`` or ``{{ value|sig:3 }}`` (see format_number)."""
    return format_number(value, int(digits))


def localize_dose_text(text: str) -> str:
    """Return a dose text of ``main_dose`` with the active language's decimal separator."""
    return _DECIMAL_POINT.sub(formats.get_format("DECIMAL_SEPARATOR"), text)


def _breast_doses(exam: Exam) -> str:
    """Return the AGD per breast, naming only the sides the exam has a dose for."""
    sides = [
        (_("left breast") if side == "L" else _("right breast"), value)
        for side, value in (("L", exam.agd_left_mgy), ("R", exam.agd_right_mgy))
        if value is not None
    ]
    parts = [f"{label} {format_number(value, 3)}" for label, value in sides]
    return f"{_('AGD')} {' / '.join(parts)} mGy"


@register.filter
def headline_dose(exam: Exam) -> str:
    """The exam's headline dose with its unit (``queries.main_dose``), localized."""
    if exam.agd_left_mgy is not None or exam.agd_right_mgy is not None:
        return _breast_doses(exam)
    return localize_dose_text(main_dose(exam))


@register.filter
def age(years: float | None) -> str:
    """A patient age from decimal years: days under a month, months under two years."""
    if years is None:
        return ""
    if years < 0:
        return format_number(years)
    if years < 1 / 12:
        days = round(years * 365.25)
        return _("%(n)s d") % {"n": days}
    if years < 2:
        months = math.floor(years * 12)
        return _("%(n)s mo") % {"n": months}
    return _("%(n)s y") % {"n": math.floor(years)}


@register.filter
def sex_label(code: str) -> str:
    """The patient sex code (M, F, O) as a word."""
    return str(SEX_LABELS.get(code, code))


@register.filter
def modality_label(code: str) -> str:
    """The name of a DICOM modality code (the code itself when unknown)."""
    return str(MODALITY_LABELS.get(code, code))


@register.filter
def event_type_label(code: str) -> str:
    """The name of a projection irradiation event type."""
    return str(EVENT_TYPE_LABELS.get(code, code.replace("_", " ")))


@register.filter
def ct_acquisition_label(code: str) -> str:
    """The name of a CT acquisition type."""
    return str(CT_ACQUISITION_LABELS.get(code, code.replace("_", " ")))


@register.filter
def report_source_label(code: str) -> str:
    """The name of a dose report source."""
    return str(REPORT_SOURCE_LABELS.get(code, code))


@register.filter
def short_key(key: str, length: int = 12) -> str:
    """A pseudonymised patient key cut to its first characters, enough to tell patients apart."""
    if not key:
        return ""
    length = int(length)
    return key if len(key) <= length else key[:length] + "…"


@register.filter
def dicom_time(text: str) -> str:
    """A DICOM TM value (HHMMSS.frac) as HH:MM:SS."""
    digits = (text or "").split(".", 1)[0].replace(":", "")
    if len(digits) < 4 or not digits.isdigit():
        return text or ""
    parts = [digits[0:2], digits[2:4]] + ([digits[4:6]] if len(digits) >= 6 else [])
    return ":".join(parts)
