"""Signals of the dose app, for the apps built on the dose data."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``exam_id`` once an exam's transaction has committed (by the ingest: once per
# stored exam), for the apps built on the dose data (follow-up: skin-dose map and alerts).
# A receiver's failure never undoes the import.
exam_stored = Signal()
