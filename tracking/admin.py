from django.contrib import admin

from core.admin_audit import AuditedAdminMixin

from . import workdays
from .models import CalendarDay, CalendarYear, PersonalDataAccess, TimelineEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: no add, change or delete, not even for administrators."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "item_type", "item_id", "actor_label", "action_label", "to_state")
    list_filter = ("item_type", "action")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "item_type", "item_id", "fields", "reason")
    list_filter = ("item_type",)


class CalendarAdminMixin(AuditedAdminMixin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        workdays.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        workdays.invalidate()


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdminMixin, admin.ModelAdmin):
    list_display = ("year", "source", "note")


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdminMixin, admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
