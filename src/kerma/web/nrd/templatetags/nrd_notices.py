"""``{{ value|worded }}``: a core notice worded in the page's language (French or English).

``value`` is a :class:`kerma.notices.Notice`, its stored form ``{code, params, text}``, or plain
text (an entry stored before notices existed, shown as it was written). ``{{ n|worded:fallback }}``
shows ``fallback`` when ``value`` is empty (e.g. ``{{ flag.notice|worded:flag.message }}``).
"""

from __future__ import annotations

from typing import Any

from django import template

import kerma.nrd  # noqa: F401  (declares the NRD notice codes)
from kerma.notices import declared_codes
from kerma.web.wording import word, worded

register = template.Library()


def reason(exc: Exception) -> str:
    """Return why ``exc`` was raised, in the active language when it carries a notice
    (:class:`kerma.nrd.wording.NoticeError`), else its text."""
    return word(getattr(exc, "notice", None), fallback=str(exc))


# The same filter as the audit trail's (one behaviour whichever library a page loads last).
register.filter("worded", worded)


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
