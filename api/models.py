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


class ImportJob(models.Model):
    """One upload on the import page: its file, options, progress and row errors."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        CHECKING = "checking", "正在检查"
        INVALID = "invalid", "有错误，未导入"
        CHECKED = "checked", "检查通过（未写入）"
        WRITING = "writing", "正在写入"
        DONE = "done", "导入完成"
        FAILED = "failed", "导入失败"

    FINISHED = (Status.INVALID, Status.CHECKED, Status.DONE, Status.FAILED)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        OrgNode, verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField("来源", max_length=32)
    filename = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", upload_to="imports/%Y/%m/")
    mapping = models.JSONField("列名对照", default=dict, blank=True)
    create_missing = models.BooleanField("自动新建分类和单位", default=False)
    check_only = models.BooleanField("只检查", default=False)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("总行数", default=0)
    checked = models.PositiveIntegerField("已检查", default=0)
    to_write = models.PositiveIntegerField("待写入", default=0)
    written = models.PositiveIntegerField("已写入", default=0)
    skipped = models.PositiveIntegerField("已导入过", default=0)
    error_count = models.PositiveIntegerField("错误数", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def errors_hidden(self) -> int:
        return max(0, self.error_count - len(self.errors))

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if self.status == self.Status.WRITING and self.to_write:
            return 50 + int(50 * self.written / self.to_write)
        if self.total:
            return min(50, int(50 * self.checked / self.total))
        return 0
