from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from kerma.web.accounts.models import Membership, Unit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "code")
    search_fields = ("name", "site", "code")
    inlines = [MembershipInline]


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    verbose_name_plural = "units"


class KermaUserAdmin(UserAdmin):
    """Django's user admin, plus the units the user belongs to."""

    inlines = [*UserAdmin.inlines, UserMembershipInline]


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), KermaUserAdmin)
