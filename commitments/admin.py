from django.contrib import admin

from .models import Programme, RectificationProblem


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "monthly_due_day", "weekly_due_weekday", "is_active"]
    list_filter = ["year", "is_active"]


@admin.register(RectificationProblem)
class RectificationProblemAdmin(admin.ModelAdmin):
    list_display = ["text", "level", "unit", "programme"]
    list_filter = ["level", "programme"]
    search_fields = ["text"]
