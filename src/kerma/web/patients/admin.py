from django.contrib import admin

from kerma.web.patients.models import DapCoefficientTable, PatientFlag, PregnancyCheck


@admin.register(PatientFlag)
class PatientFlagAdmin(admin.ModelAdmin):
    list_display = ("patient_key", "kind", "unit", "entered_by", "entered_at", "active")
    list_filter = ("kind", "active", "unit")


@admin.register(PregnancyCheck)
class PregnancyCheckAdmin(admin.ModelAdmin):
    list_display = ("exam", "status", "recorded_by", "recorded_at")
    list_filter = ("status",)


@admin.register(DapCoefficientTable)
class DapCoefficientTableAdmin(admin.ModelAdmin):
    """Read-only: a table is loaded with ``kerma patient load-coefficients`` (checked there)."""

    list_display = ("filename", "rows", "loaded_by", "loaded_at")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
