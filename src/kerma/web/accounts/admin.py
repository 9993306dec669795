from django.contrib import admin

from kerma.web.accounts.models import Membership, Unit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "code")
    search_fields = ("name", "site", "code")
    inlines = [MembershipInline]
