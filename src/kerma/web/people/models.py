"""What the people register stores: professionals with their profession, domains and units;
their patient radiation-protection training certificates; their training on devices and
techniques; their workstation qualifications; staff exposure assessments; dosimeter readings;
and the log of expiry e-mails sent.

Every row people enter is audited (:class:`AuditedModel`: who, when, before and after). Doses
carry their unit in the column name (``_usv`` per procedure, ``_msv`` per period or year).
The rules (validity, classification) are the pure core's (:mod:`kerma.people`,
:mod:`kerma.staff`); these models only store what was entered and what the core produced.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from kerma import config
from kerma.people import Domain, Profession, TrainingStatus, training_status
from kerma.staff import AssessmentInput, Protection, assess, dose_from_dap
from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device
from kerma.web.people.audit import AuditedModel, AuditEntry, jsonable

PROFESSION_LABELS = {
    Profession.RADIOLOGIST: _("radiologist"),
    Profession.CARDIOLOGIST: _("cardiologist"),
    Profession.SURGEON: _("surgeon"),
    Profession.NUCLEAR_PHYSICIAN: _("nuclear medicine physician"),
    Profession.RADIOTHERAPIST: _("radiation oncologist"),
    Profession.DENTIST: _("dentist"),
    Profession.RADIOGRAPHER: _("radiographer"),
    Profession.NURSE: _("nurse"),
    Profession.PHYSICIST: _("medical physicist"),
    Profession.RADIOPHARMACIST: _("radiopharmacist"),
    Profession.TECHNICIAN: _("technician"),
    Profession.OTHER: _("other"),
}
DOMAIN_LABELS = {
    Domain.RADIOLOGY: _("conventional radiology"),
    Domain.CT: _("CT"),
    Domain.INTERVENTIONAL: _("interventional practices"),
    Domain.NUCLEAR_MEDICINE: _("nuclear medicine"),
    Domain.RADIOTHERAPY: _("external radiotherapy"),
    Domain.BRACHYTHERAPY: _("brachytherapy"),
    Domain.DENTAL: _("dental"),
}
PROFESSION_CHOICES = [(p.value, PROFESSION_LABELS[p]) for p in Profession]
DOMAIN_CHOICES = [(d.value, DOMAIN_LABELS[d]) for d in Domain]
STATUS_LABELS = {
    "valid": _("valid"),
    "expiring": _("expiring"),
    "expired": _("expired"),
    "missing": _("missing"),
}


def _attachments() -> FileSystemStorage:
    """Certificates' scans are kept under ``KERMA_HOME/attachments`` (never served openly)."""
    return FileSystemStorage(location=str(config.kerma_home() / "attachments"))


class Person(AuditedModel):
    """A professional who performs or takes part in acts (or does QC, maintenance...)."""

    audit_type = "person"

    name = models.CharField(_("name"), max_length=200)
    profession = models.CharField(_("profession"), max_length=32, choices=PROFESSION_CHOICES)
    domains = models.JSONField(_("domains of activity"), default=list, blank=True)
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="people")
    post = models.CharField(_("post"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    arrived_on = models.DateField(_("arrival date"), null=True, blank=True)
    activity_changed_on = models.DateField(
        _("last change of activity"),
        null=True,
        blank=True,
        help_text=_("A certificate older than this does not cover the new activity."),
    )
    operator_name = models.CharField(
        _("name in the dose reports"),
        max_length=200,
        blank=True,
        help_text=_(
            "As the modality writes it (FAMILY^Given), to match the exams; several spellings "
            "separated by ;"
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    def set_units(self, units: Any) -> None:
        """Set the person's units, recording the change in the audit log (a many-to-many
        field is not part of the row's snapshot)."""
        before = sorted(self.units.values_list("code", flat=True))
        self.units.set(units)
        after = sorted(self.units.values_list("code", flat=True))
        if before != after:
            AuditEntry.record(self, "units", before={"units": before}, after={"units": after})

    def domain_labels(self) -> list[str]:
        """Return the person's domains in the reader's language."""
        return [str(DOMAIN_LABELS.get(d, d)) for d in self.domains]

    def training(self, on: date, warn_months: int) -> TrainingStatus:
        """Return the person's training status on ``on`` (the core's rule)."""
        return training_status(
            self.name,
            self.profession,
            self.domains,
            [c.obtained_on for c in self.certificates.all()],
            on,
            activity_changed_on=self.activity_changed_on,
            warn_months=warn_months,
        )


class Certificate(AuditedModel):
    """An individual certificate of patient radiation-protection training."""

    audit_type = "certificate"

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("person")
    )
    obtained_on = models.DateField(_("date"))
    organisation = models.CharField(_("training organisation"), max_length=200, blank=True)
    guide = models.CharField(
        _("professional guide followed"), max_length=200, blank=True
    )
    attachment = models.FileField(
        _("attachment"), storage=_attachments, upload_to="certificates/", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-obtained_on", "-id"]
        verbose_name = _("training certificate")
        verbose_name_plural = _("training certificates")

    def __str__(self) -> str:
        return f"{self.person} {self.obtained_on}"

    def audit_data(self) -> dict[str, Any]:
        """Return the row for the audit log, the attachment by its stored name."""
        data = {}
        for f in self._meta.concrete_fields:
            value = f.value_from_object(self)
            data[f.attname] = value.name if isinstance(f, models.FileField) else value
        return jsonable(data)


class DeviceTraining(AuditedModel):
    """Training on a device or a new technique (for every user of it)."""

    audit_type = "device_training"

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="device_trainings", verbose_name=_("person")
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("device")
    )
    technique = models.CharField(_("technique"), max_length=200, blank=True)
    trained_on = models.DateField(_("date"))
    trainer = models.CharField(_("trained by"), max_length=200, blank=True)

    class Meta:
        ordering = ["-trained_on", "-id"]
        verbose_name = _("device or technique training")
        verbose_name_plural = _("device and technique trainings")

    def __str__(self) -> str:
        return f"{self.person} — {self.device or self.technique} ({self.trained_on})"


class Qualification(AuditedModel):
    """A workstation qualification (habilitation au poste de travail, 2019-DC-0660)."""

    audit_type = "qualification"

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("person")
    )
    post = models.CharField(_("post"), max_length=200)
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("device")
    )
    qualified_on = models.DateField(_("qualified on"), null=True, blank=True)
    qualified_by = models.CharField(_("qualified by"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-qualified_on", "-id"]
        verbose_name = _("workstation qualification")
        verbose_name_plural = _("workstation qualifications")

    def __str__(self) -> str:
        return f"{self.person} — {self.post}"

    @property
    def to_do(self) -> bool:
        """True while the qualification is planned but not done (no date)."""
        return self.qualified_on is None


class StaffAssessment(AuditedModel):
    """A predictive assessment of a staff position's exposure for one procedure type.

    Inputs as entered (with their sources); ``result`` is what :func:`kerma.staff.assess`
    returned (its JSON form), refreshed on every save.
    """

    audit_type = "staff_assessment"

    class VolumeSource(models.TextChoices):
        ENTERED = "entered", _("entered")
        DATABASE = "database", _("dose database")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, verbose_name=_("unit"))
    title = models.CharField(_("title"), max_length=200)
    procedure = models.CharField(_("procedure type"), max_length=200)
    position = models.CharField(_("staff position"), max_length=200)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("worker")
    )
    dose_whole_body_usv = models.FloatField(_("whole body, µSv per procedure"), default=0)
    dose_extremities_usv = models.FloatField(_("extremities, µSv per procedure"), default=0)
    dose_lens_usv = models.FloatField(_("lens, µSv per procedure"), default=0)
    reference_distance_cm = models.FloatField(_("reference distance (cm)"))
    working_distance_cm = models.FloatField(_("working distance (cm)"))
    dose_source = models.TextField(
        _("source of the doses per procedure"),
        help_text=_("Measured (how, when), or DAP × scatter coefficient (source)."),
    )
    scatter_usv_per_gycm2 = models.JSONField(
        _("scatter coefficients (µSv/Gy·cm² at the reference distance)"),
        default=dict,
        blank=True,
    )
    scatter_source = models.TextField(_("source of the scatter coefficients"), blank=True)
    dap_gycm2 = models.FloatField(_("DAP per procedure (Gy·cm²)"), null=True, blank=True)
    volume = models.FloatField(_("procedures a year"))
    volume_source = models.CharField(
        _("volume from"), max_length=16, choices=VolumeSource.choices, default=VolumeSource.ENTERED
    )
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("device")
    )
    act = models.CharField(_("act or procedure name"), max_length=200, blank=True)
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("to"), null=True, blank=True)
    protections = models.JSONField(_("protections in use"), default=list, blank=True)
    candidates = models.JSONField(_("protections that could be added"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    result = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("staff exposure assessment")
        verbose_name_plural = _("staff exposure assessments")

    def __str__(self) -> str:
        return self.title

    def core_input(self) -> AssessmentInput:
        """Return the inputs as the core reads them."""
        return AssessmentInput(
            dose_usv={
                "whole_body": self.dose_whole_body_usv,
                "extremities": self.dose_extremities_usv,
                "lens": self.dose_lens_usv,
            },
            reference_distance_cm=self.reference_distance_cm,
            working_distance_cm=self.working_distance_cm,
            volume=self.volume,
            protections=[protection_of(p) for p in self.protections],
            candidates=[protection_of(p) for p in self.candidates],
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Derive the doses from the DAP when scatter coefficients are given, compute the
        result with the core, then save (audited)."""
        if self.scatter_usv_per_gycm2 and self.dap_gycm2 is not None:
            for organ, coefficient in self.scatter_usv_per_gycm2.items():
                dose = dose_from_dap(self.dap_gycm2, float(coefficient))
                setattr(self, f"dose_{organ}_usv", dose)
        self.result = assess(self.core_input()).as_dict()
        super().save(*args, **kwargs)


def protection_of(data: dict[str, Any]) -> Protection:
    """Return the core's protection from its stored form ``{name, kind, attenuation}``."""
    return Protection(
        str(data.get("name", "")),
        {k: float(v) for k, v in (data.get("attenuation") or {}).items()},
        str(data.get("kind", "collective")),
    )


class DosimeterReading(AuditedModel):
    """A dosimeter reading of a worker for one period, mSv (Hp(10), Hp(0.07), Hp(3))."""

    audit_type = "dosimeter_reading"

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="readings", verbose_name=_("person")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    hp10_msv = models.FloatField("Hp(10) (mSv)", null=True, blank=True)
    hp007_msv = models.FloatField("Hp(0,07) (mSv)", null=True, blank=True)
    hp3_msv = models.FloatField("Hp(3) (mSv)", null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["person", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period_start", "period_end"], name="one_reading_per_period"
            )
        ]
        verbose_name = _("dosimeter reading")
        verbose_name_plural = _("dosimeter readings")

    def __str__(self) -> str:
        return f"{self.person} {self.period_start}–{self.period_end}"


class TrainingNotice(models.Model):
    """An expiry e-mail about one certificate to one address: sent once (written by Kerma)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    valid_until = models.DateField()
    recipient = models.CharField(max_length=254)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_until", "recipient"], name="one_training_notice"
            )
        ]
