"""The DICOM node's log: every association, who called, when, how many objects, outcome."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Association(models.Model):
    """One association received by the DICOM node."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("open")
        RELEASED = "released", _("released")
        ABORTED = "aborted", _("aborted")
        REJECTED = "rejected", _("rejected")
        # Left open by a node that was killed or crashed: set when the node starts again.
        INTERRUPTED = "interrupted", _("interrupted")

    key = models.CharField(max_length=32, unique=True)
    calling_aet = models.CharField(max_length=16, blank=True, db_index=True)
    called_aet = models.CharField(max_length=16, blank=True)
    address = models.TextField(blank=True)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    objects_received = models.PositiveIntegerField(default=0)
    objects_refused = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("DICOM association")
        verbose_name_plural = _("DICOM associations")

    def __str__(self) -> str:
        return f"{self.calling_aet or '?'}@{self.address} {self.started_at:%Y-%m-%d %H:%M} "
