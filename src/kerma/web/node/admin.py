from django.contrib import admin

from kerma.web.node.models import Association


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "calling_aet",
        "address",
        "objects_received",
        "objects_refused",
        "outcome",
        "reason",
    )
    list_filter = ("outcome", "calling_aet")
    search_fields = ("calling_aet", "address", "reason")
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - Django's API
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001 - Django's API
        return False
