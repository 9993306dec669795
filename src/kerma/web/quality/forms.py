"""Forms of the quality registers: model forms whose choices (units, devices, events, risks,
audits) are narrowed to the user's units, with an optional file upload stored as a
:class:`~kerma.web.quality.models.Document`."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kerma.web.accounts.scope import visible, visible_devices, visible_units
from kerma.web.quality import models as m

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = (".pdf", ".docx", ".odt", ".doc", ".txt", ".png", ".jpg", ".jpeg", ".xlsx", ".ods")


class RegisterForm(forms.ModelForm):
    """A register's model form for ``user``: dates as date inputs, choices of the user's units,
    and ``upload_field`` (a document foreign key) filled from an uploaded file."""

    upload_field: ClassVar[str] = ""
    upload = forms.FileField(label=_("Attach a document"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("rows", 3)
            if name == "unit":
                field.queryset = visible_units(user)
                field.empty_label = None
            elif name == "device":
                field.queryset = visible_devices(user)
            elif name in ("event", "events"):
                field.queryset = visible(m.SafetyEvent.objects.all(), user, "")
            elif name == "risk":
                field.queryset = visible(m.Risk.objects.all(), user, "")
            elif name == "audit":
                field.queryset = visible(m.ClinicalAudit.objects.all(), user, "")
            elif name == "control":
                field.queryset = visible(m.ControlRecord.objects.all(), user, "device__")
        if not self.upload_field:
            del self.fields["upload"]
        elif self.upload_field in self.fields:
            del self.fields[self.upload_field]

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        if not upload.name.lower().endswith(UPLOAD_TYPES):
            raise forms.ValidationError(_("Upload a PDF, DOCX, ODT, text, image or spreadsheet."))
        return upload

    def unit_of(self, instance: Any) -> Any:
        """Return the unit a document attached to ``instance`` belongs to."""
        if getattr(instance, "unit_id", None):
            return instance.unit
        if getattr(instance, "device_id", None):
            return instance.device.unit
        if getattr(instance, "procedure_id", None):
            return instance.procedure.unit
        return visible_units(self.user).first()

    def save_with(self, by: str) -> Any:
        """Save the row (and its uploaded document) as ``by``; return the row."""
        instance = self.save(commit=False)
        upload = self.cleaned_data.get("upload") if self.upload_field else None
        if upload is not None:
            document = m.Document.from_upload(upload, self.unit_of(instance), by)
            setattr(instance, self.upload_field, document)
        instance.save()
        self.save_m2m()
        return instance


class EventForm(RegisterForm):
    """An event; its exams are picked by accession number or study UID (the user's units')."""

    exam_refs = forms.CharField(
        label=_("Exams (accession numbers or study UIDs, comma-separated)"),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            exams = self.instance.exams.all()
            self.initial["exam_refs"] = ", ".join(e.accession_number or e.study_uid for e in exams)

    def clean_exam_refs(self) -> list[Any]:
        from django.db.models import Q

        from kerma.web.dose.models import Exam

        refs = [r.strip() for r in self.cleaned_data["exam_refs"].replace(";", ",").split(",")]
        found = []
        for ref in filter(None, refs):
            query = Exam.objects.filter(Q(accession_number=ref) | Q(study_uid=ref))
            exam = visible(query, self.user, "device__").first()
            if exam is None:
                raise forms.ValidationError(_("No exam %(ref)s in your units.") % {"ref": ref})
            found.append(exam)
        return found

    def save_with(self, by: str) -> Any:
        row = super().save_with(by)
        row.exams.set(self.cleaned_data.get("exam_refs") or [])
        return row

    class Meta:
        model = m.SafetyEvent
        fields = [
            "unit",
            "detected_on",
            "recorded_on",
            "description",
            "circumstances",
            "consequences",
            "person_informed",
            "category",
            "severity",
            "flags",
            "device",
            "people_involved",
            "declared_to_authority_on",
            "closed",
        ]


class AnalysisForm(RegisterForm):
    class Meta:
        model = m.SystemicAnalysis
        fields = [
            "analysed_on",
            "participants",
            "chronology",
            "method",
            "causes",
            "failed_barriers",
        ]


class ActionForm(RegisterForm):
    upload_field = "evidence"

    class Meta:
        model = m.QualityAction
        fields = [
            "unit",
            "source",
            "event",
            "risk",
            "audit",
            "inspection_letter",
            "title",
            "details",
            "owner",
            "due_on",
            "status",
            "done_on",
            "effectiveness_check",
            "effectiveness_checked_on",
        ]


class CompletionForm(RegisterForm):
    """The evidence of completion (an attached document) and the effectiveness check of an
    action kept in another app (NRD corrective action, follow-up decision)."""

    upload_field = "evidence"

    class Meta:
        model = m.ActionCompletion
        fields = ["effectiveness_check", "effectiveness_checked_on"]


class CriterionForm(RegisterForm):
    class Meta:
        model = m.EventCriterion
        fields = [
            "unit",
            "purpose",
            "label",
            "min_severity",
            "categories",
            "flags",
            "deadline_days",
            "working_days",
            "source",
            "active",
        ]


class ReviewForm(RegisterForm):
    class Meta:
        model = m.RegisterReview
        fields = ["unit", "reviewed_on", "participants", "conclusions"]


class SettingsForm(RegisterForm):
    class Meta:
        model = m.QualitySettings
        fields = ["unit", "review_months", "review_source"]


class RiskForm(RegisterForm):
    class Meta:
        model = m.Risk
        fields = [
            "unit",
            "process",
            "device",
            "description",
            "likelihood",
            "severity",
            "barriers",
            "residual_likelihood",
            "residual_severity",
            "events",
            "reviewed_on",
        ]


class AuditForm(RegisterForm):
    class Meta:
        model = m.ClinicalAudit
        fields = ["unit", "title", "scope", "auditors", "planned_on", "done_on", "findings"]


class ProcedureForm(RegisterForm):
    class Meta:
        model = m.Procedure
        fields = ["unit", "kind", "title", "device", "act", "review_on"]


class VersionForm(RegisterForm):
    upload_field = "document"

    class Meta:
        model = m.ProcedureVersion
        fields = ["number", "body", "changes", "written_by"]


class PeriodicityForm(RegisterForm):
    class Meta:
        model = m.Periodicity
        fields = ["unit", "device_type", "kind", "months", "days", "source"]


class EquipmentForm(RegisterForm):
    upload_field = "acceptance_report"

    class Meta:
        model = m.EquipmentRecord
        fields = [
            "device",
            "acceptance_test_on",
            "acceptance_test_by",
            "acceptance_conforming",
            "commissioned_on",
            "in_clinical_use",
            "notes",
        ]


class ContractForm(RegisterForm):
    class Meta:
        model = m.MaintenanceContract
        fields = ["device", "provider", "reference", "starts_on", "ends_on"]


class ControlForm(RegisterForm):
    upload_field = "report"

    class Meta:
        model = m.ControlRecord
        fields = ["device", "kind", "done_on", "performed_by", "conforming", "notes"]


class NonConformityForm(RegisterForm):
    class Meta:
        model = m.NonConformity
        fields = ["device", "control", "found_on", "description", "resolved_on", "resolution"]
