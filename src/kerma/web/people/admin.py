from django.contrib import admin

from kerma.web.people.models import (
    Certificate,
    DeviceTraining,
    DosimeterReading,
    Person,
    Qualification,
    StaffAssessment,
)


class CertificateInline(admin.TabularInline):
    model = Certificate
    extra = 0


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "profession", "post", "active")
    list_filter = ("profession", "active", "units")
    search_fields = ("name", "operator_name")
    inlines = [CertificateInline, QualificationInline]


@admin.register(DeviceTraining)
class DeviceTrainingAdmin(admin.ModelAdmin):
    list_display = ("person", "device", "technique", "trained_on")


@admin.register(StaffAssessment)
class StaffAssessmentAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "position", "volume")
    readonly_fields = ("result",)


@admin.register(DosimeterReading)
class DosimeterReadingAdmin(admin.ModelAdmin):
    list_display = ("person", "period_start", "period_end", "hp10_msv", "hp007_msv", "hp3_msv")
