from django.contrib import admin

from kerma.web.quality import models as m


@admin.register(m.SafetyEvent)
class SafetyEventAdmin(admin.ModelAdmin):
    list_display = ("detected_on", "unit", "category", "severity", "device", "description")
    list_filter = ("unit", "category", "severity")


@admin.register(m.QualityAction)
class QualityActionAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "source", "owner", "due_on", "status", "done_on")
    list_filter = ("unit", "source", "status")


@admin.register(m.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "size_bytes", "uploaded_by", "uploaded_at")
    exclude = ("data",)


for model in (
    m.QualitySettings,
    m.EventCriterion,
    m.SystemicAnalysis,
    m.RegisterReview,
    m.Risk,
    m.ClinicalAudit,
    m.ActionReminder,
    m.ActionCompletion,
    m.Procedure,
    m.ProcedureVersion,
    m.Periodicity,
    m.EquipmentRecord,
    m.MaintenanceContract,
    m.ControlRecord,
    m.NonConformity,
):
    admin.site.register(model)
