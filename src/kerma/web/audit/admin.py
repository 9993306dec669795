"""Admin of the audit trail: entries are read-only and cannot be deleted; :class:`AuditedAdmin`
is the base of the admins whose changes are audited as the logged-in user."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kerma.web.audit.log import acting_as, actor_of
from kerma.web.audit.models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes as the request's user, so the audit log names them."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with acting_as(actor_of(request.user)):
            super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with acting_as(actor_of(request.user)):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with acting_as(actor_of(request.user)):
            super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with acting_as(actor_of(request.user)):
            super().save_formset(request, form, formset, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("object_type", "action")
    search_fields = ("actor", "object_id", "summary")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
