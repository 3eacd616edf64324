"""API keys in the Chinese admin: made through the service (the secret is shown once),
edited, revoked; never deleted, since the timeline names their service users."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from core.admin_audit import AuditedAdminMixin
from core.errors import DomainError

from .models import ApiKey
from .services import apikey_create, apikey_revoke, apikey_sync_user


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "node", "scope", "status", "last_used_at", "created_at")
    list_filter = ("scope", "revoked_at")
    search_fields = ("name", "prefix", "node__name")
    autocomplete_fields = ("node",)
    filter_horizontal = ("roles",)
    readonly_fields = ("prefix", "user", "created_by", "created_at", "revoked_at", "last_used_at")
    fields = ("name", "node", "scope", "roles", "expires_at", "note", *readonly_fields)
    actions = ["revoke"]

    @admin.display(description="状态")
    def status(self, obj: ApiKey) -> str:
        return obj.status_label

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "node", "scope", "roles", "expires_at", "note")
        return self.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            self._audit(
                request,
                obj,
                "change",
                {k: str(form.cleaned_data.get(k)) for k in form.changed_data},
            )
            return
        try:
            key, raw = apikey_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                node=form.cleaned_data["node"],
                scope=form.cleaned_data["scope"],
                roles=[r.code for r in form.cleaned_data.get("roles") or []],
                expires_at=form.cleaned_data.get("expires_at"),
                note=form.cleaned_data.get("note") or "",
            )
        except DomainError as exc:
            # The form already validated; a refusal here is a rights problem.
            messages.error(request, exc.message)
            raise
        # The admin goes on with `obj` (m2m, redirect): make it the saved key.
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False
        obj._state.db = key._state.db
        self._audit(
            request, obj, "add", {"name": key.name, "node": str(key.node), "scope": key.scope}
        )
        messages.warning(
            request,
            f"密钥已生成，请立即复制并妥善保存（只显示这一次）：{raw}",
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        apikey_sync_user(key=form.instance)

    @admin.action(description="吊销所选密钥")
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(actor=request.user, key=key)
            count += 1
        self.message_user(
            request, f"已吊销 {count} 个密钥（{timezone.localtime():%Y-%m-%d %H:%M}）"
        )
