from django.contrib import admin

from kerma.web.dose.models import Device, Event, Exam, QuarantinedFile, Report


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "category",
        "manufacturer",
        "model",
        "serial_number",
        "station_name",
        "last_report_at",
    )
    list_filter = ("category",)
    search_fields = ("manufacturer", "model", "serial_number", "station_name", "display_name")

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's API
        # A category a person chose is not overwritten by later imports.
        if "category" in form.changed_data:
            obj.category_confirmed = True
        super().save_model(request, obj, form, change)


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    fields = ("uid", "kind", "protocol", "ctdivol_mgy", "dlp_mgycm", "dap_gycm2", "kar_mgy")
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ("study_date", "modality", "device", "procedure", "event_count", "is_test")
    list_filter = ("modality", "is_test", "device")
    search_fields = ("accession_number", "procedure", "study_uid")
    date_hierarchy = "study_date"
    inlines = [EventInline]
    readonly_fields = ("patient_key",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("sop_instance_uid", "source", "modality", "received_at")
    list_filter = ("source", "modality")


@admin.register(QuarantinedFile)
class QuarantinedFileAdmin(admin.ModelAdmin):
    list_display = ("original_path", "reason", "created_at")
