"""Audit of administrators' changes in the admin (等保 2.0): every add, change and delete."""

from __future__ import annotations

from django.forms.models import model_to_dict


def _plain(value):
    if isinstance(value, list | tuple | set):
        return [str(v.pk if hasattr(v, "pk") else v) for v in value]
    return value if isinstance(value, int | float | bool | type(None)) else str(value)


class AuditedAdminMixin:
    def _audit(self, request, obj, action: str, changes: dict) -> None:
        from orgs.models import AdminAuditEntry

        AdminAuditEntry.objects.create(
            actor=request.user,
            actor_label=str(request.user),
            action=action,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            changes=changes,
            ip=request.META.get("REMOTE_ADDR") or None,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = {
            name: _plain(form.cleaned_data.get(name))
            for name in (form.changed_data if change else form.cleaned_data)
            if "password" not in name
        }
        if change and "password" in form.changed_data:
            fields["password"] = "（已修改）"
        self._audit(request, obj, "change" if change else "add", fields)

    def delete_model(self, request, obj):
        snapshot = {k: _plain(v) for k, v in model_to_dict(obj).items() if "password" not in k}
        self._audit(request, obj, "delete", snapshot)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
