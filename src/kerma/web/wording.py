"""Words for the shell: a core notice, its stored form or plain text, in the page's language.

Every template library that shows notices uses :func:`worded` (registered under the same name),
so a page that loads several of them gets one behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language

from kerma.notices import Notice, UnknownNoticeCode


def word(value: Any, language: str | None = None, fallback: str = "") -> str:
    """Return ``value`` (a notice, its dict, or text) worded in ``language`` (default: the
    active language); ``fallback`` when ``value`` is empty."""
    language = language or get_language() or "fr"
    worded_by = getattr(value, "worded", None)
    if callable(worded_by):  # an audit entry: its notice, else its summary
        return worded_by(language) or fallback
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


def worded(value: Any, fallback: str = "") -> str:
    """Return ``value`` worded in the page's language (see :func:`word`)."""
    return word(value, fallback=fallback)
