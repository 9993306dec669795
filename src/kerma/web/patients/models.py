"""What Kerma records about a patient beyond the dose objects: at-risk flags (radiosensitivity
and others) under the pseudonymised key, and pregnancy checks on exams. Both are audited (who,
when, what changed) and entered with who and when."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kerma.web.audit.models import AuditedModel


class PatientFlag(AuditedModel):
    """An at-risk flag on a patient (pseudonymised key), entered in a unit by someone."""

    audit_type = "patient_flag"

    class Kind(models.TextChoices):
        RADIOSENSITIVE = "radiosensitive", _("Individual radiosensitivity")
        ITERATIVE = "iterative", _("Iterative exams")
        PREGNANT = "pregnant", _("Pregnant")
        BREAST_FEEDING = "breast_feeding", _("Breast-feeding")
        OTHER = "other", _("Other risk")

    patient_key = models.CharField(_("patient key"), max_length=64, db_index=True)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("flag"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    entered_by = models.CharField(_("entered by"), max_length=150)
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-entered_at", "id"]
        verbose_name = _("patient flag")
        verbose_name_plural = _("patient flags")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.entered_by}, {self.entered_at:%Y-%m-%d})"


class PregnancyCheck(AuditedModel):
    """The pregnancy check of an exam recorded in Kerma (when the DICOM objects had none)."""

    audit_type = "pregnancy_check"

    class Status(models.TextChoices):
        NOT_PREGNANT = "not_pregnant", _("Not pregnant")
        POSSIBLY = "possibly_pregnant", _("Possibly pregnant")
        PREGNANT = "pregnant", _("Pregnant")
        UNKNOWN = "unknown", _("Unknown")

    exam = models.OneToOneField("dose.Exam", on_delete=models.CASCADE,
                                related_name="pregnancy_check")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=150)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("pregnancy check")
        verbose_name_plural = _("pregnancy checks")

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.recorded_by})"


class ImageDiameter(models.Model):
    """The water-equivalent diameter Kerma measured on a CT exam's axial images retrieved from
    the PACS (AAPM Report 220), for one irradiation event whose dose report carries neither SSDE
    nor Dw: the mean over ``images`` images of one series. No pixel is kept.

    Keyed by the event's UID, not its row: the dose app rebuilds an exam's event rows whenever
    one of its reports is imported again, and the measure must survive that.
    """

    class Match(models.TextChoices):
        IRRADIATION_EVENT = "irradiation_event", _("series of the irradiation event")
        LARGEST_SERIES = "largest_axial_series", _("largest axial series of the study")

    exam = models.ForeignKey("dose.Exam", on_delete=models.CASCADE, related_name="+")
    event_uid = models.TextField(_("irradiation event UID"))
    dw_mm = models.FloatField(_("water-equivalent diameter (mm)"))
    images = models.PositiveSmallIntegerField(_("images measured"))
    series_uid = models.TextField(_("series instance UID"))
    series_match = models.CharField(_("series chosen as"), max_length=24, choices=Match.choices)
    peer = models.CharField(_("PACS"), max_length=120)
    measured_at = models.DateTimeField(_("measured at"), default=timezone.now)

    class Meta:
        ordering = ["exam_id", "event_uid"]
        verbose_name = _("water-equivalent diameter from images")
        verbose_name_plural = _("water-equivalent diameters from images")
        constraints = [
            models.UniqueConstraint(fields=["exam", "event_uid"],
                                    name="image_diameter_unique_per_event"),
        ]

    def __str__(self) -> str:
        return f"Dw {self.dw_mm:.0f} mm ({self.images} image(s))"


class DapCoefficientTable(AuditedModel):
    """E/DAP coefficients a physicist loaded for the installation (``kerma patient
    load-coefficients``): a CSV with the columns of Kerma's own table, every row with its
    citation. The latest table is used, its rows before Kerma's own (they win on a match);
    earlier tables are kept, as loaded, for the audit trail."""

    audit_type = "dap_coefficient_table"

    filename = models.CharField(_("file name"), max_length=255)
    csv_text = models.TextField(_("coefficients (CSV)"))
    rows = models.PositiveIntegerField(_("rows"))
    loaded_by = models.CharField(_("loaded by"), max_length=150)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        ordering = ["-loaded_at", "-id"]
        verbose_name = _("table of E/DAP coefficients")
        verbose_name_plural = _("tables of E/DAP coefficients")

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows}, {self.loaded_by}, {self.loaded_at:%Y-%m-%d})"
