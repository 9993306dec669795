"""The quality system's registers (decision ASN 2019-DC-0660, CSP R.1333-70).

Every register row belongs to a unit (directly, or through its device) and every change is
audited (:class:`AuditedModel`). The rules (due dates, overdue, criteria, scores) are in the pure
package :mod:`kerma.quality`; these models store what users entered and hand it to those rules.

Uploaded documents (written procedures, evidence of an action, reports of controls) are kept in
the database (:class:`Document`), so a backup of the database is a backup of the register.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kerma.quality import actions as programme
from kerma.quality import equipment as rules
from kerma.quality import events as event_rules
from kerma.quality import risks as risk_rules
from kerma.web.dose.models import Device, Exam
from kerma.web.quality.audit import AuditedModel

SCALE = [MinValueValidator(1), MaxValueValidator(5)]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _words(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in (text or "").replace(";", ",").split(",") if w.strip())


class Document(AuditedModel):
    """An uploaded file (PDF, DOCX, ODT, image...), stored in the database with its digest."""

    audit_type = "quality_document"

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    data = models.BinaryField()
    uploaded_by = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name

    def audit_data(self) -> dict[str, Any]:
        """The row without its bytes (the digest identifies them)."""
        row = {
            f.attname: f.value_from_object(self)
            for f in self._meta.concrete_fields
            if f.name != "data"
        }
        return json.loads(json.dumps(row, cls=DjangoJSONEncoder))

    @classmethod
    def from_upload(cls, upload: Any, unit: Any, by: str) -> Document:
        """Store an uploaded file of ``unit``; return the saved document."""
        content = upload.read()
        doc = cls(
            unit=unit,
            name=upload.name[:255],
            content_type=getattr(upload, "content_type", "") or "",
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            data=content,
            uploaded_by=by,
        )
        doc.save()
        return doc


# ---- events (REX) -------------------------------------------------------------------------


class QualitySettings(AuditedModel):
    """A unit's settings of the event register: how often the register is reviewed (months),
    with the unit's document that sets it."""

    audit_type = "quality_settings"

    unit = models.OneToOneField(
        "accounts.Unit", on_delete=models.CASCADE, related_name="quality_settings"
    )
    review_months = models.PositiveSmallIntegerField(
        _("register review every (months)"), null=True, blank=True
    )
    review_source = models.CharField(
        _("source of the review frequency"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")

    def __str__(self) -> str:
        return f"{self.unit}"


class EventCriterion(AuditedModel):
    """One of the unit's criteria: which events get a systemic analysis, or are declared to the
    authority (with the deadline); always with its source."""

    audit_type = "quality_criterion"

    class Purpose(models.TextChoices):
        ANALYSIS = event_rules.ANALYSIS, _("systemic analysis")
        DECLARATION = event_rules.DECLARATION, _("declaration to the authority")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, verbose_name=_("unit"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    label = models.CharField(_("criterion"), max_length=300)
    min_severity = models.PositiveSmallIntegerField(
        _("from severity"), null=True, blank=True, validators=SCALE
    )
    categories = models.CharField(
        _("categories (comma-separated)"), max_length=200, blank=True
    )
    flags = models.CharField(_("flags (comma-separated)"), max_length=300, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"), null=True, blank=True)
    working_days = models.BooleanField(_("working days"), default=False)
    source = models.CharField(_("source"), max_length=300)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["purpose", "id"]
        verbose_name = _("event criterion")
        verbose_name_plural = _("event criteria")

    def __str__(self) -> str:
        return self.label

    def to_rule(self) -> event_rules.Criterion:
        """Return the pure criterion."""
        return event_rules.Criterion(
            label=self.label,
            purpose=self.purpose,
            source=self.source,
            min_severity=self.min_severity,
            categories=_words(self.categories),
            flags=_words(self.flags),
            deadline_days=self.deadline_days,
            working_days=self.working_days,
            code=str(self.pk or ""),
        )


class SafetyEvent(AuditedModel):
    """An event that led or could have led to an unintended or excessive exposure (REX)."""

    audit_type = "quality_event"

    class Category(models.TextChoices):
        MATERIAL = "material", _("material")
        HUMAN = "human", _("human")
        ORGANISATIONAL = "organisational", _("organisational")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    detected_on = models.DateField(_("detected on"))
    recorded_on = models.DateField(_("recorded on"), default=timezone.localdate)
    description = models.TextField(_("description"))
    circumstances = models.TextField(_("circumstances"), blank=True)
    consequences = models.TextField(_("consequences"), blank=True)
    person_informed = models.TextField(_("how the exposed person was informed"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    severity = models.PositiveSmallIntegerField(_("severity (1-5)"), default=1, validators=SCALE)
    flags = models.CharField(
        _("flags (comma-separated)"),
        max_length=300,
        blank=True,
        help_text=_("e.g. patient_exposed, pregnant, child"),
    )
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("device")
    )
    exams = models.ManyToManyField(Exam, blank=True, related_name="+", verbose_name=_("exams"))
    people_involved = models.TextField(_("people involved"), blank=True)
    declared_by = models.CharField(_("declared by"), max_length=150, blank=True)
    declared_to_authority_on = models.DateField(
        _("declared to the authority on"), null=True, blank=True
    )
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        ordering = ["-detected_on", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"#{self.pk} {self.detected_on} {self.description[:60]}"

    def facts(self) -> event_rules.EventFacts:
        """Return what the criteria look at."""
        return event_rules.EventFacts(
            self.category, int(self.severity), self.detected_on, _words(self.flags)
        )

    @property
    def analysed(self) -> bool:
        """True when a systemic analysis is recorded."""
        return SystemicAnalysis.objects.filter(event_id=self.pk).exists()

    def criteria(self) -> list[event_rules.Criterion]:
        """Return the unit's active criteria (analysis and declaration)."""
        rows = EventCriterion.objects.filter(unit_id=self.unit_id, active=True)
        return [c.to_rule() for c in rows]

    def findings(self, today: date | None = None) -> list[Any]:
        """Return the notices of the unit's active criteria about this event."""
        return event_rules.findings(
            self.facts(),
            self.criteria(),
            analysed=self.analysed,
            declared_on=self.declared_to_authority_on,
            today=today or timezone.localdate(),
        )

    def needs_analysis(self) -> bool:
        """True when an active analysis criterion of the unit matches and none is recorded."""
        return not self.analysed and bool(
            event_rules.matching(self.facts(), self.criteria(), event_rules.ANALYSIS)
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form of the event (the keys of ``kerma events list --json``)."""
        analysis = SystemicAnalysis.objects.filter(event_id=self.pk).first()
        return {
            "id": self.pk,
            "unit": self.unit.code if self.unit_id else None,
            "detected_on": self.detected_on.isoformat(),
            "recorded_on": self.recorded_on.isoformat() if self.recorded_on else None,
            "description": self.description,
            "circumstances": self.circumstances,
            "consequences": self.consequences,
            "person_informed": self.person_informed,
            "category": self.category,
            "severity": self.severity,
            "flags": sorted(_words(self.flags)),
            "device": str(self.device) if self.device_id else None,
            "exams": [e.accession_number or str(e.pk) for e in self.exams.all()],
            "people_involved": self.people_involved,
            "declared_to_authority_on": (
                self.declared_to_authority_on.isoformat() if self.declared_to_authority_on else None
            ),
            "analysis": analysis.as_dict() if analysis else None,
        }


class SystemicAnalysis(AuditedModel):
    """The systemic analysis of an event: who took part, the chronology, the method, the
    immediate and root causes (technical, human, organisational), the barriers that failed;
    its improvement proposals are actions of the programme (source ``event``)."""

    audit_type = "quality_analysis"

    class Method(models.TextChoices):
        ALARM = "alarm", "ALARM"
        ORION = "orion", "ORION"
        CAUSE_TREE = "cause_tree", _("cause tree")
        FIVE_M = "5m", _("5M (Ishikawa)")
        OTHER = "other", _("other")

    event = models.OneToOneField(SafetyEvent, on_delete=models.CASCADE, related_name="analysis")
    analysed_on = models.DateField(_("analysed on"), default=timezone.localdate)
    participants = models.TextField(_("participants (one per line)"))
    chronology = models.TextField(_("detailed chronology"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    causes = models.TextField(
        _("causes (one per line: level ; nature ; text)"),
        blank=True,
        help_text=_("level: immediate/root; nature: technical/human/organisational"),
    )
    failed_barriers = models.TextField(_("safety barriers that failed (one per line)"), blank=True)
    validated_by = models.CharField(_("validated by"), max_length=150, blank=True)
    validated_on = models.DateField(_("validated on"), null=True, blank=True)

    class Meta:
        verbose_name = _("systemic analysis")
        verbose_name_plural = _("systemic analyses")
        permissions = [("validate_systemicanalysis", "Can validate a systemic analysis")]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.get_method_display()})"

    def cause_list(self) -> list[dict[str, str]]:
        """Return the causes as ``{level, nature, text}`` (lines ``level ; nature ; text``)."""
        found = []
        for line in _lines(self.causes):
            parts = [p.strip() for p in line.split(";", 2)]
            if len(parts) == 3:
                found.append({"level": parts[0], "nature": parts[1], "text": parts[2]})
            else:
                found.append({"level": "", "nature": "", "text": line})
        return found

    def as_dict(self) -> dict[str, Any]:
        """Return ``participants``, ``chronology``, ``method``, ``causes``, ``failed_barriers``,
        ``actions`` (the titles and states of its actions)."""
        return {
            "analysed_on": self.analysed_on.isoformat() if self.analysed_on else None,
            "participants": _lines(self.participants),
            "chronology": self.chronology,
            "method": self.method,
            "causes": self.cause_list(),
            "failed_barriers": _lines(self.failed_barriers),
            "actions": [
                {"id": a.pk, "title": a.title, "owner": a.owner, "status": a.status}
                for a in QualityAction.objects.filter(event_id=self.event_id)
            ],
            "validated_by": self.validated_by,
            "validated_on": self.validated_on.isoformat() if self.validated_on else None,
        }


class RegisterReview(AuditedModel):
    """A periodic review of the event register (its date, who took part, what was concluded)."""

    audit_type = "quality_review"

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, verbose_name=_("unit"))
    reviewed_on = models.DateField(_("reviewed on"))
    participants = models.TextField(_("participants"), blank=True)
    conclusions = models.TextField(_("conclusions"), blank=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        verbose_name = _("register review")
        verbose_name_plural = _("register reviews")

    def __str__(self) -> str:
        return f"{self.reviewed_on}"


# ---- risks and audits ---------------------------------------------------------------------


class Risk(AuditedModel):
    """A risk of care of the risk map: process, device, likelihood × severity before and after
    the barriers, linked to events (its treatments are actions of source ``risk``)."""

    audit_type = "quality_risk"

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    process = models.CharField(_("process"), max_length=200)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("device")
    )
    description = models.TextField(_("risk"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1-5)"), validators=SCALE)
    severity = models.PositiveSmallIntegerField(_("severity (1-5)"), validators=SCALE)
    barriers = models.TextField(_("barriers in place"), blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(
        _("likelihood after barriers"), null=True, blank=True, validators=SCALE
    )
    residual_severity = models.PositiveSmallIntegerField(
        _("severity after barriers"), null=True, blank=True, validators=SCALE
    )
    events = models.ManyToManyField(SafetyEvent, blank=True, verbose_name=_("events"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)

    class Meta:
        ordering = ["process", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")

    def __str__(self) -> str:
        return f"{self.process}: {self.description[:60]}"

    def assessment(self) -> risk_rules.Assessment:
        """Return the scores and levels before and after the barriers."""
        return risk_rules.assess(
            self.likelihood, self.severity, self.residual_likelihood, self.residual_severity
        )

    def clean(self) -> None:
        if (self.residual_likelihood is None) != (self.residual_severity is None):
            raise ValidationError(_("Give both the likelihood and the severity after barriers."))


class ClinicalAudit(AuditedModel):
    """A clinical audit by peers: plan, scope, auditors, date, findings (its actions are of
    source ``audit``)."""

    audit_type = "quality_audit"

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    title = models.CharField(_("title"), max_length=200)
    scope = models.TextField(_("scope"))
    auditors = models.TextField(_("auditors"))
    planned_on = models.DateField(_("planned on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("clinical audit")
        verbose_name_plural = _("clinical audits")

    def __str__(self) -> str:
        return self.title


# ---- the action programme -----------------------------------------------------------------


class EvidenceAndEffectiveness(models.Model):
    """The evidence of completion (a document) and the effectiveness check of an action: the
    same fields on the quality register's own actions and on those kept in other apps."""

    evidence = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence"),
    )
    effectiveness_check = models.TextField(_("effectiveness check"), blank=True)
    effectiveness_checked_on = models.DateField(
        _("effectiveness checked on"), null=True, blank=True
    )

    class Meta:
        abstract = True


class QualityAction(EvidenceAndEffectiveness, AuditedModel):
    """An action of the programme entered here: from an event's analysis, a risk, an audit, or
    an inspection follow-up letter (LDS). NRD corrective actions and follow-up decisions stay
    in their apps and join these in :mod:`kerma.web.quality.programme`."""

    audit_type = "quality_action"

    class Source(models.TextChoices):
        EVENT = "event", _("event analysis")
        RISK = "risk", _("risk map")
        AUDIT = "audit", _("clinical audit")
        INSPECTION = "inspection", _("inspection follow-up letter")

    class Status(models.TextChoices):
        PLANNED = programme.PLANNED, _("planned")
        IN_PROGRESS = programme.IN_PROGRESS, _("in progress")
        DONE = programme.DONE, _("done")
        CANCELLED = programme.CANCELLED, _("cancelled")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    event = models.ForeignKey(
        SafetyEvent, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("event")
    )
    risk = models.ForeignKey(
        Risk, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("risk")
    )
    audit = models.ForeignKey(
        ClinicalAudit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("clinical audit"),
    )
    inspection_letter = models.CharField(
        _("inspection letter (reference, date)"), max_length=200, blank=True
    )
    title = models.CharField(_("action"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    owner = models.CharField(_("owner (user name)"), max_length=150)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        links = {"event": self.event_id, "risk": self.risk_id, "audit": self.audit_id}
        if self.source in links and links[self.source] is None:
            what = self.get_source_display()
            raise ValidationError(_("Choose the %(what)s this action comes from.") % {"what": what})
        if self.source == self.Source.INSPECTION and not self.inspection_letter:
            raise ValidationError(_("Give the reference of the inspection letter."))
        if self.status == self.Status.DONE and self.done_on is None:
            raise ValidationError(_("Give the date the action was done."))

    def item(self) -> programme.ActionItem:
        """Return the action as an item of the programme."""
        return programme.ActionItem(
            source=self.source,
            ref=f"quality:{self.pk}",
            title=self.title,
            owner=self.owner,
            due_on=self.due_on,
            status=self.status,
            done_on=self.done_on,
            unit=self.unit.code if self.unit_id else "",
            effectiveness_checked=self.effectiveness_checked_on is not None,
            evidence=self.evidence_id is not None,
            evidence_name=self.evidence.name if self.evidence_id else "",
            effectiveness_check=self.effectiveness_check,
            effectiveness_checked_on=self.effectiveness_checked_on,
        )


class ActionCompletion(EvidenceAndEffectiveness, AuditedModel):
    """The evidence of completion and the effectiveness check of an action kept in another app
    (an NRD corrective action, a follow-up decision): one row per action, keyed by its source
    and its id there, so those apps keep their rows and the programme reads both."""

    audit_type = "quality_action_completion"

    class Source(models.TextChoices):
        NRD = "nrd", _("NRD evaluation")
        FOLLOWUP = "followup", _("patient follow-up")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    ref = models.PositiveIntegerField(_("number in its register"))

    class Meta:
        ordering = ["source", "ref"]
        verbose_name = _("evidence and effectiveness of an action")
        verbose_name_plural = _("evidence and effectiveness of actions")
        constraints = [
            models.UniqueConstraint(fields=["source", "ref"], name="quality_one_completion")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.ref}"

    @property
    def key(self) -> str:
        """The programme's reference of the action (``nrd:12``)."""
        return f"{self.source}:{self.ref}"


class ActionReminder(models.Model):
    """An e-mail about an overdue action sent (or tried) to one address: at most once."""

    source = models.CharField(max_length=16)
    ref = models.CharField(max_length=64)
    recipient = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "ref", "recipient"], name="quality_one_reminder_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref} → {self.recipient}"


# ---- written procedures -------------------------------------------------------------------


class Procedure(AuditedModel):
    """A written procedure: the protocol of an act on a device (decree 2003-270), or a process
    of the quality system (justification, persons at risk, optimisation, device use...)."""

    audit_type = "quality_procedure"

    class Kind(models.TextChoices):
        PROTOCOL = "protocol", _("protocol of an act")
        JUSTIFICATION = "justification", _("justification")
        PERSONS_AT_RISK = "persons_at_risk", _("care of persons at risk")
        OPTIMISATION = "optimisation", _("optimisation")
        DEVICE_USE = "device_use", _("use of a device")
        OTHER = "other", _("other")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    device = models.ForeignKey(
        Device,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("device"),
        help_text=_("Empty: every device of the unit"),
    )
    act = models.CharField(
        _("act (as the exams name it)"), max_length=200, blank=True
    )
    review_on = models.DateField(_("review on"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("written procedure")
        verbose_name_plural = _("written procedures")

    def __str__(self) -> str:
        return self.title

    def current(self) -> ProcedureVersion | None:
        """Return the latest validated version (else the latest version)."""
        versions = self.versions.order_by("-number")
        return versions.filter(validated_on__isnull=False).first() or versions.first()


class ProcedureVersion(AuditedModel):
    """A version of a written procedure: an uploaded document or a text written in the page,
    who validated it and when."""

    audit_type = "quality_procedure_version"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("text"), blank=True)
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    changes = models.TextField(_("what changed"), blank=True)
    written_by = models.CharField(_("written by"), max_length=150, blank=True)
    validated_by = models.CharField(_("validated by"), max_length=150, blank=True)
    validated_on = models.DateField(_("validated on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["procedure", "-number"]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        permissions = [("validate_procedureversion", "Can validate a written procedure")]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="quality_one_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure} v{self.number}"


# ---- equipment and quality control --------------------------------------------------------


class Periodicity(AuditedModel):
    """How often a kind of control or maintenance is done on a device type, as entered by the
    unit with the ANSM decision (or contract) it comes from. Kerma ships none."""

    audit_type = "quality_periodicity"

    class Kind(models.TextChoices):
        INTERNAL_QC = rules.INTERNAL_QC, _("internal quality control")
        EXTERNAL_QC = rules.EXTERNAL_QC, _("external quality control")
        MAINTENANCE = rules.MAINTENANCE, _("preventive maintenance")

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, verbose_name=_("unit"))
    device_type = models.CharField(
        _("device type"), max_length=32, choices=Device.Category.choices
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    months = models.PositiveSmallIntegerField(_("every (months)"), default=0)
    days = models.PositiveSmallIntegerField(_("and (days)"), default=0)
    source = models.CharField(
        _("source (ANSM decision, contract)"),
        max_length=300,
        help_text=_("Required: Kerma keeps no periodicity it cannot cite."),
    )

    class Meta:
        ordering = ["device_type", "kind"]
        verbose_name = _("periodicity")
        verbose_name_plural = _("periodicities")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "device_type", "kind"], name="quality_one_periodicity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_device_type_display()} · {self.get_kind_display()}"

    def clean(self) -> None:
        try:
            self.to_rule()
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def to_rule(self) -> rules.Periodicity:
        """Return the pure periodicity (ValueError without a source or a length)."""
        return rules.Periodicity(
            self.device_type, self.kind, int(self.months), int(self.days), self.source
        )


class EquipmentRecord(AuditedModel):
    """A device's file: acceptance test, commissioning, clinical use. A device is marked in
    clinical use only with a recorded, conforming acceptance test (see
    :func:`kerma.quality.equipment.clinical_use_problems`)."""

    audit_type = "quality_equipment"

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, related_name="quality_record", verbose_name=_("device")
    )
    acceptance_test_on = models.DateField(_("acceptance test on"), null=True, blank=True)
    acceptance_test_by = models.CharField(_("acceptance test by"), max_length=200, blank=True)
    acceptance_conforming = models.BooleanField(_("acceptance test conforming"), default=True)
    acceptance_report = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acceptance test report"),
    )
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    in_clinical_use = models.BooleanField(_("in clinical use"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("equipment record")
        verbose_name_plural = _("equipment records")

    def __str__(self) -> str:
        return str(self.device)

    def clinical_use_problems(self) -> list[Any]:
        """Return why the device may not be in clinical use (empty: it may)."""
        return rules.clinical_use_problems(
            str(self.device),
            self.acceptance_test_on,
            conforming=self.acceptance_conforming,
            use_on=self.commissioned_on,
        )

    def clean(self) -> None:
        if self.in_clinical_use:
            problems = self.clinical_use_problems()
            if problems:
                from django.utils.translation import get_language

                raise ValidationError(problems[0].text(get_language() or "fr"))

    def check_save(self, old: Any) -> None:
        # The rule holds whatever the path (page, import, command, admin).
        if self.in_clinical_use and self.clinical_use_problems():
            raise ValidationError(self.clinical_use_problems()[0].text("en"))


class MaintenanceContract(AuditedModel):
    """A maintenance contract of a device: provider, reference, period."""

    audit_type = "quality_contract"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, verbose_name=_("device"))
    provider = models.CharField(_("provider"), max_length=200)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["device", "-starts_on"]
        verbose_name = _("maintenance contract")
        verbose_name_plural = _("maintenance contracts")

    def __str__(self) -> str:
        return f"{self.provider} {self.reference}".strip()


class ControlRecord(AuditedModel):
    """A quality control (internal or external) or a maintenance visit done on a device."""

    audit_type = "quality_control"

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="quality_controls", verbose_name=_("device")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Periodicity.Kind.choices)
    done_on = models.DateField(_("done on"))
    performed_by = models.CharField(_("performed by"), max_length=200, blank=True)
    conforming = models.BooleanField(_("conforming"), default=True)
    report = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["device", "kind", "-done_on"]
        verbose_name = _("control or maintenance")
        verbose_name_plural = _("controls and maintenance")

    def __str__(self) -> str:
        return f"{self.device} {self.get_kind_display()} {self.done_on}"


class NonConformity(AuditedModel):
    """A non-conformity found on a device (by a control or otherwise) and its resolution."""

    audit_type = "quality_nonconformity"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, verbose_name=_("device"))
    control = models.ForeignKey(
        ControlRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("control"),
    )
    found_on = models.DateField(_("found on"))
    description = models.TextField(_("description"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-found_on", "-id"]
        verbose_name = _("non-conformity")
        verbose_name_plural = _("non-conformities")

    def __str__(self) -> str:
        return f"{self.device} {self.found_on}"


# Models scoped through their unit; the others through their device (or parent).
UNIT_MODELS = (
    Document,
    QualitySettings,
    EventCriterion,
    SafetyEvent,
    RegisterReview,
    Risk,
    ClinicalAudit,
    QualityAction,
    ActionCompletion,
    Procedure,
    Periodicity,
)
DEVICE_MODELS = (EquipmentRecord, MaintenanceContract, ControlRecord, NonConformity)
