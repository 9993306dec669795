from django.contrib import admin

from kerma.web.followup.models import (
    Alert,
    AlertSettings,
    Notification,
    NotificationRule,
    RoomGeometry,
    SkinDoseMap,
)


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    list_display = ("unit", "kar_mgy", "psd_mgy", "dap_gycm2", "fluoro_time_s", "window_days")


@admin.register(RoomGeometry)
class RoomGeometryAdmin(admin.ModelAdmin):
    list_display = ("device", "phantom", "cell_mm", "measured_on", "updated_at")


@admin.register(SkinDoseMap)
class SkinDoseMapAdmin(admin.ModelAdmin):
    list_display = ("exam", "status", "method", "psd_mgy", "computed_at")
    exclude = ("map_npz", "png", "mesh_json")
    readonly_fields = ("exam",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("exam", "scope", "quantity", "value", "threshold", "state", "created_at")
    list_filter = ("state", "scope", "quantity")


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ("unit", "device", "role", "extra_addresses", "active")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("alert", "recipient", "role", "sent_at", "attempts", "error")
    readonly_fields = ("alert", "recipient", "role", "sent_at", "attempts", "error", "created_at")
