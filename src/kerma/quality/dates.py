"""Calendar arithmetic of the quality registers."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Return ``day`` plus ``months`` calendar months; a day past the end of the target month
    becomes its last day (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def days_late(due: date | None, today: date) -> int:
    """Return how many days past ``due`` ``today`` is (0 on the due date or before, or when
    there is no due date): a deadline is missed from the day after it."""
    if due is None:
        return 0
    return max(0, (today - due).days)
