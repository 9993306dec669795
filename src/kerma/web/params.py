"""Reading integer query parameters safely: what is not a usable id is ignored, never a 500."""

from __future__ import annotations

from django.http import HttpRequest

# The largest value a database integer column holds (64-bit signed): a longer number in a
# filter would overflow the query.
MAX_ID = 2**63 - 1


def as_int(value: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """Return ``value`` (text of ASCII digits) as an int between ``low`` and ``high``, None
    otherwise (empty, not a number, signed, other scripts' digits, out of range)."""
    text = str(value or "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


def int_param(request: HttpRequest, name: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """Return the query parameter ``name`` as an int (see :func:`as_int`), None when absent or
    unusable."""
    return as_int(request.GET.get(name), low=low, high=high)
