"""Template filters of the patients pages: an effective dose shown as the CLI and the JSON
round it (:mod:`kerma.patients.rounding`), in the reader's number format; the methods that
gave an SSDE and an effective dose in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from kerma.patients import effective, rounding, ssde

register = template.Library()


@register.filter
def msv(value: Any) -> str:
    """Return an effective dose (mSv) rounded for display; ``""`` when there is none."""
    if value in (None, ""):
        return ""
    shown = rounding.msv(float(value))
    return number_format(shown, rounding.msv_decimals(shown))


SSDE_METHODS = {
    ssde.FROM_REPORT: _("reported by the device"),
    ssde.FROM_IMAGE: _("TG-204/220 from the Dw in the dose report"),
    ssde.FROM_AXIAL_IMAGES: _("Dw from axial images (AAPM 220)"),
    ssde.FROM_WEIGHT_HEIGHT: _("estimated from weight and height (water cylinder)"),
}


@register.filter
def ssde_method(method: str) -> str:
    """Return in words the method that gave an SSDE (:mod:`kerma.patients.ssde`)."""
    return str(SSDE_METHODS.get(method, method))


ESTIMATE_METHODS = {
    effective.CT: _("DLP × k-factor"),
    effective.DAP: _("DAP × E/DAP coefficient"),
    effective.NM: _("activity × ICRP coefficient"),
    effective.NONE: _("not estimated"),
}


@register.filter
def estimate_method(method: str) -> str:
    """Return in words the method of an effective-dose estimate (:mod:`kerma.patients.
    effective`)."""
    return str(ESTIMATE_METHODS.get(method, method))


@register.filter
def isodate(value: Any) -> Any:
    """Return the date of an ISO text (``2026-10-06``) for the ``date`` filter; other values
    as they are (the record's JSON keeps ISO dates)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
