"""Template filters of the patients pages: an effective dose shown as the CLI and the JSON
round it (:mod:`kerma.patients.rounding`), in the reader's number format."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

from kerma.patients import rounding

register = template.Library()


@register.filter
def msv(value: Any) -> str:
    """Return an effective dose (mSv) rounded for display; ``""`` when there is none."""
    if value in (None, ""):
        return ""
    shown = rounding.msv(float(value))
    return number_format(shown, rounding.msv_decimals(shown))
