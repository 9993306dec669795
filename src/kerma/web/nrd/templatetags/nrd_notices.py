"""``{{ value|worded }}``: a core notice worded in the page's language (French or English).

``value`` is a :class:`kerma.notices.Notice`, its stored form ``{code, params, text}``, or plain
text (an entry stored before notices existed, shown as it was written). ``{{ n|worded:fallback }}``
shows ``fallback`` when ``value`` is empty (e.g. ``{{ flag.notice|worded:flag.message }}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import get_language

import kerma.nrd  # noqa: F401  (declares the NRD notice codes)
from kerma.notices import Notice, UnknownNoticeCode, declared_codes

register = template.Library()


def word(value: Any, language: str | None = None, fallback: str = "") -> str:
    """Return ``value`` (a notice, its dict, or text) worded in ``language`` (default: the
    active language); ``fallback`` when ``value`` is empty."""
    language = language or get_language() or "fr"
    if isinstance(value, Notice):
        return value.text(language)
    if isinstance(value, Mapping) and "code" in value:
        try:
            return Notice.from_dict(value).text(language)
        except (UnknownNoticeCode, KeyError, IndexError, ValueError):
            # A code this version no longer declares: the English text stored with it.
            return str(value.get("text") or fallback)
    if value in (None, ""):
        return fallback
    return str(value)


def reason(exc: Exception) -> str:
    """Return why ``exc`` was raised, in the active language when it carries a notice
    (:class:`kerma.nrd.wording.NoticeError`), else its text."""
    return word(getattr(exc, "notice", None), fallback=str(exc))


@register.filter
def worded(value: Any, fallback: str = "") -> str:
    """Return ``value`` worded in the page's language (see :func:`word`)."""
    return word(value, fallback=fallback)


@register.filter
def family_worded(value: Any) -> str:
    """Return a family of acts or an obligation group (``ct``, ``radiology``…) in the page's
    language; an unknown value as it is."""
    code = f"nrd.group.{value}"
    return word({"code": code, "params": {}}) if code in declared_codes() else str(value or "")


@register.filter
def set_status_worded(value: Any) -> str:
    """Return a reference set's status (``in_force``, ``abrogated``, ``local``) in the page's
    language; an unknown status as it is."""
    code = f"nrd.set_status.{value}"
    return word({"code": code, "params": {}}) if code in declared_codes() else str(value or "")
