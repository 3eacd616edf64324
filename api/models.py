"""Partner API keys.

A key is shown once when it is made and only its SHA-256 hash is stored. Each key
acts through its own system user placed at the key's org node with the key's
roles, so the services and orgs.access judge it like any staff member: the API
adds no rule of its own beyond "a read-only key cannot write".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode, Role


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "只读"
        READ_WRITE = "read_write", "读写"

    name = models.CharField("名称", max_length=100, help_text="使用方，如“12345热线对接”")
    prefix = models.CharField("密钥前缀", max_length=12, unique=True, editable=False)
    key_hash = models.CharField("密钥摘要", max_length=64, editable=False)
    node = models.ForeignKey(
        OrgNode,
        verbose_name="授权范围",
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text="密钥只能访问该节点及其下级的数据",
    )
    scope = models.CharField("权限", max_length=12, choices=Scope.choices, default=Scope.READ)
    roles = models.ManyToManyField(
        Role,
        verbose_name="角色",
        blank=True,
        related_name="+",
        help_text="读写密钥以这些角色调用业务操作（如受理、交办、办结）",
    )
    # The service actor: timeline entries and access checks name this user.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="服务账号",
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "API密钥"
        verbose_name_plural = "API密钥"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def status_label(self) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if not self.is_active:
            return "已过期"
        return "有效"
