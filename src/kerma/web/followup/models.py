"""What the follow-up of interventional patients stores: per-unit alert thresholds, per-device
room geometry, the skin-dose map of each projection exam, the alerts raised on exams and on a
patient's cumulated procedures, the e-mail routing rules and the log of e-mails sent.

Units are in the column names (``kar_mgy``, ``dap_gycm2``, ``fluoro_time_s``, ``psd_mgy``).
Thresholds, room settings, alerts and routing rules are changed by people: they are audited
(:class:`kerma.web.audit.models.AuditedModel`). Skin-dose maps and the notification log are written
by Kerma itself.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kerma.web.audit.models import AuditedModel
from kerma.web.dose.models import Device, Exam

# The levels and where they come from (../shared/reference/followup_thresholds.md). They are the
# United States' NCRP Report 168 / SIR "substantial radiation dose level" (SRDL), read from
# secondary sources that cite the primary text; no French official value could be found.
THRESHOLD_SOURCE = (
    "NCRP Report No. 168 (2010) and SIR/CIRSE guidelines (Stecker et al., J Vasc Interv Radiol "
    "2009;20:S263-S273): substantial radiation dose level (SRDL) Ka,r 5 Gy, peak skin dose 3 Gy, "
    "kerma-area product 500 Gy·cm², fluoroscopy time 60 min; AAPM MPPG 12.a (2022) §5.3: first "
    "notification at Ka,r 3 Gy, then every additional 1 Gy. United States levels, read from "
    "secondary sources citing the primary texts; no French official numeric follow-up threshold "
    "(HAS, SFPM, ASN) was found — to be checked by the unit's medical physicist."
)

DEFAULTS: dict[str, float | int] = {
    "kar_mgy": 5000.0,
    "dap_gycm2": 500.0,
    "fluoro_time_s": 3600.0,
    "psd_mgy": 3000.0,
    "cumulative_kar_mgy": 5000.0,
    "cumulative_dap_gycm2": 500.0,
    "cumulative_fluoro_time_s": 3600.0,
    "cumulative_psd_mgy": 3000.0,
    "window_days": 60,
    "kar_notice_mgy": 3000.0,
}


class Quantity(models.TextChoices):
    """The dose indicators an alert is raised on, with the unit of their stored value."""

    KAR = "kar", _("Reference-point air kerma Ka,r")
    DAP = "dap", _("Kerma-area product (DAP)")
    FLUORO_TIME = "fluoro_time", _("Fluoroscopy time")
    PSD = "psd", _("Peak skin dose")


QUANTITY_UNITS = {"kar": "mGy", "dap": "Gy·cm²", "fluoro_time": "s", "psd": "mGy"}


def _threshold(verbose: Any, default: float) -> models.FloatField:
    return models.FloatField(
        verbose, null=True, blank=True, default=default, help_text=_("Empty: not checked")
    )


class AlertSettings(AuditedModel):
    """The alert thresholds of one imaging unit (created with the defaults on first use).

    A value *reaches* its threshold when it is greater than or equal to it: a procedure at
    exactly 5 000 mGy raises the Ka,r alert. Cumulated values add up the procedures of the same
    patient (same pseudonym) whose study dates are at most ``window_days`` days apart.
    """

    audit_type = "alert_settings"

    unit = models.OneToOneField(
        "accounts.Unit", on_delete=models.CASCADE, related_name="alert_settings"
    )
    kar_mgy = _threshold(_("Ka,r per procedure (mGy)"), DEFAULTS["kar_mgy"])
    dap_gycm2 = _threshold(_("DAP per procedure (Gy·cm²)"), DEFAULTS["dap_gycm2"])
    fluoro_time_s = _threshold(_("Fluoroscopy time per procedure (s)"), DEFAULTS["fluoro_time_s"])
    psd_mgy = _threshold(_("Peak skin dose per procedure (mGy)"), DEFAULTS["psd_mgy"])
    cumulative_kar_mgy = _threshold(_("Cumulated Ka,r (mGy)"), DEFAULTS["cumulative_kar_mgy"])
    cumulative_dap_gycm2 = _threshold(_("Cumulated DAP (Gy·cm²)"), DEFAULTS["cumulative_dap_gycm2"])
    cumulative_fluoro_time_s = _threshold(
        _("Cumulated fluoroscopy time (s)"), DEFAULTS["cumulative_fluoro_time_s"]
    )
    cumulative_psd_mgy = _threshold(
        _("Cumulated peak skin dose (mGy)"), DEFAULTS["cumulative_psd_mgy"]
    )
    window_days = models.PositiveSmallIntegerField(
        _("Cumulation window (days)"), default=DEFAULTS["window_days"]
    )
    kar_notice_mgy = _threshold(
        _("Ka,r first-notification level (mGy)"), DEFAULTS["kar_notice_mgy"]
    )
    source = models.TextField(_("Source of the levels"), default=THRESHOLD_SOURCE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")

    def source_worded(self) -> str:
        """Return the source of the levels in the page's language: Kerma's default text is
        translated; a text the unit wrote is shown as written."""
        if self.source == THRESHOLD_SOURCE:
            return gettext(THRESHOLD_SOURCE)
        return self.source

    def __str__(self) -> str:
        return f"{self.unit}: alert thresholds"

    @classmethod
    def for_unit(cls, unit: Any) -> AlertSettings:
        """Return the unit's thresholds, created with the defaults when missing."""
        found = cls.objects.filter(unit=unit).first()
        if found is None:
            found = cls(unit=unit)
            found.save()
        return found

    def procedure_threshold(self, quantity: str) -> float | None:
        """Return the per-procedure threshold of ``quantity`` in its stored unit (None: off)."""
        return {
            "kar": self.kar_mgy,
            "dap": self.dap_gycm2,
            "fluoro_time": self.fluoro_time_s,
            "psd": self.psd_mgy,
        }[quantity]

    def cumulative_threshold(self, quantity: str) -> float | None:
        """Return the cumulated threshold of ``quantity`` in its stored unit (None: off)."""
        return {
            "kar": self.cumulative_kar_mgy,
            "dap": self.cumulative_dap_gycm2,
            "fluoro_time": self.cumulative_fluoro_time_s,
            "psd": self.cumulative_psd_mgy,
        }[quantity]


class RoomGeometry(AuditedModel):
    """A device's geometry conventions and measured transmissions, for skin-dose maps.

    ``settings`` is :class:`kerma.skindose.RoomSettings` as a dict (``to_dict()``), filled from
    ``room_defaults(manufacturer, model)`` and edited by the physicist; ``phantom`` and
    ``cell_mm`` choose the patient model and the map's resolution. What the room measured
    (table and mattress transmission, pad) is in ``settings``; ``measured_on`` and
    ``measurement_notes`` say when and how.
    """

    audit_type = "room_geometry"

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, related_name="room_geometry", verbose_name=_("device")
    )
    settings = models.JSONField(default=dict, blank=True)
    phantom = models.CharField(_("patient model"), max_length=40, default="human")
    cell_mm = models.FloatField(_("map cell size (mm)"), default=10.0)
    measured_on = models.DateField(_("measured on"), null=True, blank=True)
    measurement_notes = models.TextField(_("measurement notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("room geometry")
        verbose_name_plural = _("room geometries")

    def __str__(self) -> str:
        return f"{self.device}: room geometry"


class SkinDoseMap(models.Model):
    """The skin-dose result of one exam (the latest computation replaces the previous one).

    ``status``: ``ok`` (computed), ``failed`` (the computation raised: ``error`` says why; the
    exam stays stored). ``map_npz`` is the map array as ``numpy.savez_compressed`` bytes (key
    ``dose_mgy``), ``png`` its picture, ``mesh_json`` the gzip-compressed JSON of the 3-D mesh.
    """

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="skin_dose")
    status = models.CharField(max_length=12, default="ok")
    error = models.TextField(blank=True)
    psd_mgy = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=20, blank=True)
    cell_size_mm = models.FloatField(null=True, blank=True)
    area_2gy_cm2 = models.FloatField(null=True, blank=True)
    area_3gy_cm2 = models.FloatField(null=True, blank=True)
    area_5gy_cm2 = models.FloatField(null=True, blank=True)
    events_used = models.PositiveIntegerField(default=0)
    events_skipped = models.JSONField(default=list, blank=True)
    top_events = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    result_json = models.JSONField(default=dict, blank=True)
    map_npz = models.BinaryField(null=True, blank=True)
    png = models.BinaryField(null=True, blank=True)
    mesh_json = models.BinaryField(null=True, blank=True)
    kerma_version = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("skin-dose map")
        verbose_name_plural = _("skin-dose maps")

    def __str__(self) -> str:
        return f"{self.exam}: PSD {self.psd_mgy} mGy ({self.method or self.status})"


class Alert(AuditedModel):
    """A dose indicator that reached its threshold, and its follow-up.

    ``scope`` ``procedure``: one exam's value. ``cumulative``: the sum over the patient's
    procedures within ``window_days`` days up to ``exam`` (the exam that made it reach the
    threshold; ``exam_ids`` lists those added up). States: ``open`` (new), ``acknowledged`` (a
    physicist decided the follow-up), ``closed`` (its outcome recorded).
    """

    audit_type = "followup_alert"

    class Scope(models.TextChoices):
        PROCEDURE = "procedure", _("procedure")
        CUMULATIVE = "cumulative", _("cumulated")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        CLOSED = "closed", _("closed")

    class Decision(models.TextChoices):
        CONSULTATION = "consultation", _("skin check consultation")
        LETTER = "letter", _("letter to the patient and the GP")
        BOTH = "consultation_letter", _("consultation and letter")
        NONE = "none", _("no follow-up (reason given)")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="followup_alerts")
    patient_key = models.CharField(max_length=64, blank=True, db_index=True)
    scope = models.CharField(max_length=12, choices=Scope.choices)
    quantity = models.CharField(max_length=12, choices=Quantity.choices)
    value = models.FloatField(help_text=_("In the quantity's unit"))
    threshold = models.FloatField()
    window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    exam_ids = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.OPEN, db_index=True
    )
    decision = models.CharField(max_length=24, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("follow-up alert")
        verbose_name_plural = _("follow-up alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "scope", "quantity"], name="followup_one_alert_per_exam_quantity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.quantity} {self.value:g} ≥ {self.threshold:g}"

    @property
    def unit_label(self) -> str:
        """The unit of ``value`` and ``threshold`` (mGy, Gy·cm², s)."""
        return QUANTITY_UNITS[self.quantity]


class NotificationRule(AuditedModel):
    """Who is told of a unit's alerts by e-mail: members of the unit with ``role`` (with an
    e-mail address), plus ``extra_addresses``; for one ``device`` (a room) or all of them."""

    audit_type = "followup_notification_rule"

    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.CASCADE, related_name="notification_rules"
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every device of the unit"),
        verbose_name=_("device"),
    )
    role = models.CharField(_("role"), max_length=32, blank=True)
    extra_addresses = models.TextField(
        _("other addresses"), blank=True, help_text=_("One e-mail address per line")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("e-mail routing rule")
        verbose_name_plural = _("e-mail routing rules")

    def __str__(self) -> str:
        return f"{self.unit} / {self.device or '*'} / {self.role or '-'}"


class Notification(models.Model):
    """One e-mail about one alert to one address: unique, so an alert is sent once per person.

    The row is written before the message is sent; ``sent_at`` is set when the SMTP server
    accepted it. A failed attempt keeps ``error`` and may be retried (``kerma followup notify``);
    a sent one never is.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.EmailField()
    role = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"], name="followup_one_mail_per_alert_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.recipient} ({'sent' if self.sent_at else 'pending'})"
