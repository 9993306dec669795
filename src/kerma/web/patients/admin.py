from django.contrib import admin

from kerma.web.patients.models import PatientFlag, PregnancyCheck


@admin.register(PatientFlag)
class PatientFlagAdmin(admin.ModelAdmin):
    list_display = ("patient_key", "kind", "unit", "entered_by", "entered_at", "active")
    list_filter = ("kind", "active", "unit")


@admin.register(PregnancyCheck)
class PregnancyCheckAdmin(admin.ModelAdmin):
    list_display = ("exam", "status", "recorded_by", "recorded_at")
    list_filter = ("status",)
