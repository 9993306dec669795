"""What Kerma stores: devices, exams (one per study), their irradiation events, the dose
reports they were read from, and the files kept aside. Units are in the column names."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kerma.units import bmi


class Device(models.Model):
    """A medical device (DM) that sent dose data, created when its first report arrives."""

    class Category(models.TextChoices):
        CT = "ct", _("CT scanner")
        RADIOGRAPHY = "radiography", _("Radiography, fixed")
        RADIOGRAPHY_MOBILE = "radiography_mobile", _("Radiography, mobile")
        MAMMOGRAPHY = "mammography", _("Mammography")
        FLUOROSCOPY = "fluoroscopy", _("Fluoroscopy / interventional, fixed")
        MOBILE_CARM = "mobile_carm", _("Mobile C-arm")
        NUCLEAR_MEDICINE = "nuclear_medicine", _("Nuclear medicine")
        PET = "pet", _("PET")
        OTHER = "other", _("Other")

    identity_key = models.TextField(unique=True, help_text=_("Device observer UID, else names"))
    observer_uid = models.TextField(blank=True)
    manufacturer = models.TextField(blank=True)
    model = models.TextField(blank=True)
    serial_number = models.TextField(blank=True)
    station_name = models.TextField(blank=True)
    institution = models.TextField(blank=True)
    department = models.TextField(blank=True)
    location = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER)
    category_confirmed = models.BooleanField(
        default=False, help_text=_("Set by a user: imports no longer change the category")
    )
    display_name = models.TextField(blank=True)
    unit = models.ForeignKey(
        "accounts.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("unit"),
    )
    commissioned_on = models.DateField(_("commissioning date"), null=True, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_report_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name", "manufacturer", "model"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a device always belongs to a unit (the default unit when none is given)."""
        if self.unit_id is None:
            from kerma.web.accounts.models import Unit

            self.unit = Unit.default()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return (
            self.display_name
            or " ".join(p for p in (self.manufacturer, self.model, self.station_name) if p)
            or self.identity_key
        )


class Exam(models.Model):
    """One study: the union of the irradiation events of all its dose reports, and its totals."""

    study_uid = models.TextField(unique=True)
    accession_number = models.TextField(blank=True)
    study_date = models.DateField(null=True, blank=True, db_index=True)
    study_time = models.TextField(blank=True)
    modality = models.CharField(max_length=4, db_index=True)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="exams")
    patient_key = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Keyed hash of the patient identifier"),
    )
    patient_id = models.TextField(blank=True, help_text=_("Stored only if the site opts in"))
    patient_name = models.TextField(blank=True, help_text=_("Stored only if the site opts in"))
    age_years = models.FloatField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    height_m = models.FloatField(null=True, blank=True)
    pregnancy_status = models.CharField(
        max_length=20, blank=True, help_text=_("DICOM Pregnancy Status (0010,21C0), if sent")
    )
    procedure = models.TextField(blank=True)
    is_test = models.BooleanField(
        default=False, db_index=True, help_text=_("Phantom, quality-control or test exam")
    )
    event_count = models.PositiveIntegerField(default=0)
    dlp_total_mgycm = models.FloatField(null=True, blank=True)
    ctdivol_max_mgy = models.FloatField(null=True, blank=True)
    dap_total_gycm2 = models.FloatField(null=True, blank=True)
    dap_fluoro_gycm2 = models.FloatField(null=True, blank=True)
    dap_acquisition_gycm2 = models.FloatField(null=True, blank=True)
    kar_total_mgy = models.FloatField(null=True, blank=True)
    fluoro_time_s = models.FloatField(null=True, blank=True)
    acquisition_time_s = models.FloatField(null=True, blank=True)
    agd_left_mgy = models.FloatField(null=True, blank=True)
    agd_right_mgy = models.FloatField(null=True, blank=True)
    activity_mbq = models.FloatField(null=True, blank=True)
    radionuclide = models.TextField(blank=True)
    radiopharmaceutical = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text=_("What the import had to say"))
    # The same notes as notices ({code, params, text}), worded in the reader's language
    # (empty: stored before notices; the page then shows ``notes``).
    notices = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-study_date", "-study_time"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        indexes = [models.Index(fields=["device", "study_date"])]

    def __str__(self) -> str:
        return f"{self.modality} {self.study_date or ''} {self.procedure}".strip()

    @property
    def bmi(self) -> float | None:
        """Body-mass index in kg/m², computed from weight and height (never stored)."""
        return bmi(self.weight_kg, self.height_m)


class Report(models.Model):
    """A dose object received (RDSR, image header, dose screen), kept as its archived file."""

    sop_instance_uid = models.TextField(unique=True)
    sop_class_uid = models.TextField()
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="reports")
    source = models.CharField(max_length=16)
    modality = models.CharField(max_length=4)
    content_datetime = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now=True)
    sha256 = models.CharField(max_length=64)
    archive_path = models.TextField(help_text=_("Relative to KERMA_HOME"))
    original_name = models.TextField(blank=True)
    event_count = models.PositiveIntegerField(default=0)
    warnings = models.TextField(blank=True)
    # The same warnings as notices ({code, params, text}), worded in the reader's language
    # (empty: stored before notices, or none; the page then shows ``warnings``).
    warning_notices = models.JSONField(default=list, blank=True)
    # What rebuilding the exam needs of this report, so that a later report of the study is
    # combined without reading this one's archive again (None: stored before they were kept).
    event_uids = models.JSONField(
        null=True,
        blank=True,
        help_text=_("Irradiation Event UIDs of the report, in order (empty: none given)"),
    )
    totals = models.JSONField(
        null=True, blank=True, help_text=_("Totals as the report states them, canonical units")
    )

    class Meta:
        ordering = ["received_at"]
        verbose_name = _("dose report")
        verbose_name_plural = _("dose reports")

    def __str__(self) -> str:
        return self.sop_instance_uid


class Event(models.Model):
    """An irradiation event or radiopharmaceutical administration of an exam."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="events")
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, related_name="+")
    uid = models.TextField()
    kind = models.CharField(max_length=12)
    started = models.DateTimeField(null=True, blank=True)
    protocol = models.TextField(blank=True)
    target_region = models.TextField(blank=True)
    acquisition_type = models.TextField(blank=True)
    ctdivol_mgy = models.FloatField(null=True, blank=True)
    dlp_mgycm = models.FloatField(null=True, blank=True)
    phantom_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    ssde_mgy = models.FloatField(null=True, blank=True)
    water_equivalent_diameter_mm = models.FloatField(null=True, blank=True)
    pitch = models.FloatField(null=True, blank=True)
    scan_length_mm = models.FloatField(null=True, blank=True)
    collimation_mm = models.FloatField(null=True, blank=True)
    rotation_time_s = models.FloatField(null=True, blank=True)
    event_type = models.TextField(blank=True)
    plane = models.TextField(blank=True)
    laterality = models.CharField(max_length=1, blank=True)
    image_view = models.TextField(blank=True)
    dap_gycm2 = models.FloatField(null=True, blank=True)
    kar_mgy = models.FloatField(null=True, blank=True)
    agd_mgy = models.FloatField(null=True, blank=True)
    entrance_dose_mgy = models.FloatField(null=True, blank=True)
    primary_angle_deg = models.FloatField(null=True, blank=True)
    secondary_angle_deg = models.FloatField(null=True, blank=True)
    primary_angle_end_deg = models.FloatField(null=True, blank=True)
    secondary_angle_end_deg = models.FloatField(null=True, blank=True)
    source_isocentre_mm = models.FloatField(null=True, blank=True)
    source_detector_mm = models.FloatField(null=True, blank=True)
    table_longitudinal_mm = models.FloatField(null=True, blank=True)
    table_lateral_mm = models.FloatField(null=True, blank=True)
    table_height_mm = models.FloatField(null=True, blank=True)
    field_width_mm = models.FloatField(null=True, blank=True)
    field_height_mm = models.FloatField(null=True, blank=True)
    field_area_cm2 = models.FloatField(null=True, blank=True)
    filter_material = models.TextField(blank=True)
    filter_thickness_mm = models.FloatField(null=True, blank=True)
    filters = models.TextField(blank=True)
    compression_thickness_mm = models.FloatField(null=True, blank=True)
    pulse_width_ms = models.FloatField(null=True, blank=True)
    pulse_rate_per_s = models.FloatField(null=True, blank=True)
    frames = models.PositiveIntegerField(null=True, blank=True)
    irradiation_duration_s = models.FloatField(null=True, blank=True)
    kvp_kv = models.FloatField(null=True, blank=True)
    tube_current_ma = models.FloatField(null=True, blank=True)
    exposure_mas = models.FloatField(null=True, blank=True)
    exposure_time_s = models.FloatField(null=True, blank=True)
    radionuclide = models.TextField(blank=True)
    radiopharmaceutical = models.TextField(blank=True)
    activity_mbq = models.FloatField(null=True, blank=True)
    route = models.TextField(blank=True)

    class Meta:
        ordering = ["started", "id"]
        verbose_name = _("irradiation event")
        verbose_name_plural = _("irradiation events")
        constraints = [
            models.UniqueConstraint(fields=["exam", "uid"], name="event_unique_per_exam"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"


class Participant(models.Model):
    """A person a dose report names as taking part in its exam: the operator, the person who
    administered or authorised the irradiation, the performing physician (see
    :mod:`kerma.dicom.participants`). Staff names as written, never the patient's: they are
    kept whatever the identifier settings (the people register matches them against workstation
    qualifications, decision 2019-DC-0660). Rewritten with its report."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="participants")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="participants")
    name = models.TextField(help_text=_("As written in the report (DICOM Family^Given)"))
    role = models.CharField(max_length=64)
    source = models.CharField(
        max_length=16, help_text=_("Template (TID 1020, TID 1002) or header tag it was read from")
    )
    person_id = models.TextField(blank=True)
    organization = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("exam participant")
        verbose_name_plural = _("exam participants")

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class QuarantinedFile(models.Model):
    """An input that could not be read or stored, kept aside with the reason."""

    original_path = models.TextField()
    kept_at = models.TextField(help_text=_("Relative to KERMA_HOME"))
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quarantined file")
        verbose_name_plural = _("quarantined files")

    def __str__(self) -> str:
        return f"{self.original_path}: {self.reason}"
