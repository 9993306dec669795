"""The reminders the DICOM node sends by itself, at most once per interval (daily by default):
overdue actions to their owner, overdue controls to the unit's quality managers, training to
renew, alerts whose e-mail failed. Each message goes once per item and address (see
:func:`kerma.web.mailing.send_once`), so running them again, or after a restart, sends nothing
twice; no cron step is needed while the node runs.

``KERMA_REMINDERS_EVERY_HOURS`` sets the interval (24; 0 turns them off). Nothing is sent
without an SMTP server (``KERMA_SMTP_HOST``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import date

from kerma.ingest.pipeline import OUTAGES

LOGGER = logging.getLogger("kerma.reminders")

DEFAULT_EVERY_HOURS = 24.0


def every_seconds() -> float:
    """Return the interval between two rounds of reminders, in seconds (0: never), from
    ``KERMA_REMINDERS_EVERY_HOURS``; a value that is not a number keeps the default."""
    raw = os.environ.get("KERMA_REMINDERS_EVERY_HOURS", "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_EVERY_HOURS
    except ValueError:
        LOGGER.warning("KERMA_REMINDERS_EVERY_HOURS=%r is not a number: every %s h", raw, 24)
        hours = DEFAULT_EVERY_HOURS
    return max(hours, 0.0) * 3600


def send_reminders(today: date | None = None) -> dict[str, int]:
    """Send every reminder due on ``today`` not sent yet; return how many of each were sent."""
    from kerma.web.followup.notify import notify_pending
    from kerma.web.people.notify import notify_training
    from kerma.web.quality.notify import notify_overdue, notify_overdue_controls

    return {
        "actions": notify_overdue(today),
        "controls": notify_overdue_controls(today),
        "training": notify_training(today),
        "alerts": notify_pending(),
    }


class ReminderClock:
    """Runs :func:`send_reminders` when due: at the first call, then once per interval."""

    def __init__(
        self,
        every: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        send: Callable[[], dict[str, int]] = send_reminders,
    ) -> None:
        self.every = every_seconds() if every is None else every
        self.clock = clock
        self.send = send
        self.last: float | None = None

    def due(self) -> bool:
        """True when reminders are on and none ran within the interval."""
        if self.every <= 0:
            return False
        return self.last is None or self.clock() - self.last >= self.every

    def run_if_due(self) -> dict[str, int] | None:
        """Send the reminders when due; return the counts (None when not due). A round that
        fails counts as done (tried again an interval later), unless the database or the disk
        was out: then it is tried again at the next call."""
        if not self.due():
            return None
        previous, self.last = self.last, self.clock()
        try:
            counts = self.send()
        except OUTAGES:
            self.last = previous
            raise
        if any(counts.values()):
            LOGGER.info("Reminders sent: %s", counts)
        return counts
