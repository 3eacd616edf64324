from django.contrib import admin

from core.admin_audit import AuditedAdminMixin

from .models import InspectionGroup, LadderPolicy


@admin.register(LadderPolicy)
class LadderPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "scope_key", "at_risk_gap", "due_soon_workdays", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "scope_key")}),
        (
            "督办状态规则",
            {
                "fields": (
                    "at_risk_gap",
                    "due_soon_workdays",
                    "missing_report_at_risk",
                    "notice_answer_workdays",
                )
            },
        ),
        (
            "督办阶梯（触发条件与N个工作日）",
            {"fields": [(f"rung{i}_trigger", f"rung{i}_delay") for i in range(1, 6)]},
        ),
    )


@admin.register(InspectionGroup)
class InspectionGroupAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "is_active")
    filter_horizontal = ("members", "nodes")
