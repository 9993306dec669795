"""Admin for the NRD app: every change is made (and audited) as the logged-in user.

Signed evaluations are read-only here as everywhere (the model refuses the change).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kerma.web.audit.admin import AuditedAdmin
from kerma.web.nrd.models import (
    CorrectiveAction,
    DeviceSettings,
    Evaluation,
    ProtocolMapping,
    ReferenceChoice,
    StoredReferenceSet,
)


@admin.register(ProtocolMapping)
class ProtocolMappingAdmin(AuditedAdmin):
    list_display = ("pattern", "kind", "act_code", "device", "priority", "case_sensitive")
    list_filter = ("kind", "device")
    search_fields = ("pattern", "act_code")


@admin.register(DeviceSettings)
class DeviceSettingsAdmin(AuditedAdmin):
    list_display = ("device", "in_perimeter", "family", "unit", "first_year")
    list_filter = ("in_perimeter", "family")


@admin.register(ReferenceChoice)
class ReferenceChoiceAdmin(AuditedAdmin):
    list_display = ("family", "set_name", "supplements", "chosen_by", "chosen_at")


@admin.register(StoredReferenceSet)
class StoredReferenceSetAdmin(AuditedAdmin):
    list_display = ("name", "version", "status", "row_count", "value_count", "loaded_by")
    readonly_fields = [f.name for f in StoredReferenceSet._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # loaded with `kerma reference import` (validated) or its page


class CorrectiveActionInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    fields = ("description", "owner", "due_date", "done", "done_at", "done_by")


@admin.register(Evaluation)
class EvaluationAdmin(AuditedAdmin):
    list_display = (
        "id",
        "device",
        "act_code",
        "population",
        "period_from",
        "period_to",
        "exceeds_nrd",
        "signed_at",
        "version",
    )
    list_filter = ("population", "family", "exceeds_nrd")
    search_fields = ("act_code", "device_label")
    inlines = [CorrectiveActionInline]
    readonly_fields = [
        f
        for f in (
            *Evaluation.CONTENT_FIELDS,
            "created_by",
            "created_at",
            "signed_by",
            "signed_at",
            "previous",
            "version",
        )
        if f not in ("analysis", "justification")
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by `kerma nrd evaluate --save` (or its page) from the data
