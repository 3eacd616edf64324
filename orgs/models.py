from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from treebeard.mp_tree import MP_Node


class OrgNode(MP_Node):
    """A node of the org tree (三级联动 / 四级网格), any depth.

    django-treebeard's materialised path: subtree = one indexed range scan on
    `path`. Digits only, so the range is the same under any collation.
    """

    alphabet = "0123456789"
    steplen = 5
    node_order_by = None

    class Kind(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县(区)"
        TOWN = "town", "乡镇(街道)"
        VILLAGE = "village", "村(社区)"
        GRID = "grid", "网格"
        DEPARTMENT = "department", "职能部门"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("层级类型", max_length=16, choices=Kind.choices)
    code = models.CharField("编码", max_length=32, unique=True)

    class Meta:
        verbose_name = "组织节点"
        verbose_name_plural = "组织架构"

    def __str__(self) -> str:
        return self.name

    @property
    def is_unit(self) -> bool:
        """Units can be made responsible for items (责任单位/承办单位)."""
        return self.kind in (self.Kind.DEPARTMENT, self.Kind.TOWN, self.Kind.VILLAGE)

    def path_upper(self) -> str:
        return subtree_upper(self.path)

    def place_label(self) -> str:
        """Town + village, as public pages show a place: never finer than the village."""
        chain = [*OrgNode.objects.get_ancestors(self), self]
        return "".join(n.name for n in chain if n.kind in ("town", "village"))


def subtree_upper(path: str) -> str:
    """The smallest path greater than every descendant of `path` (same width, +1)."""
    return str(int(path) + 1).zfill(len(path))


class Role(models.Model):
    """The roles of DESIGN §1 (residents have no account)."""

    GRID_WORKER = "grid_worker"
    OFFICE = "office"
    UNIT_HANDLER = "unit_handler"
    UNIT_HEAD = "unit_head"
    INSPECTOR = "inspector"
    DISCIPLINE = "discipline"
    VOLUNTEER = "volunteer"
    ADMIN = "admin"
    LABELS = {
        GRID_WORKER: "网格员/村(社区)干部",
        OFFICE: "办公室/指挥中心",
        UNIT_HANDLER: "承办单位经办人",
        UNIT_HEAD: "单位负责人/牵头领导",
        INSPECTOR: "巡回指导组",
        DISCIPLINE: "纪委",
        VOLUNTEER: "党员/志愿者",
        ADMIN: "系统管理员",
    }

    code = models.CharField("代码", max_length=32, primary_key=True)
    name = models.CharField("名称", max_length=64)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    node = models.ForeignKey(
        OrgNode,
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    roles = models.ManyToManyField(Role, verbose_name="角色", blank=True, related_name="users")
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # An API key acts through its own user; it is never a person to notify.
    is_service_account = models.BooleanField("接口服务账号", default=False, editable=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        codes = set(self.roles.values_list("code", flat=True))
        if self.is_superuser:
            codes.add(Role.ADMIN)
        return frozenset(codes)

    @property
    def role_labels(self) -> list[str]:
        return [Role.LABELS[c] for c in sorted(self.role_codes) if c in Role.LABELS]

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))

    @property
    def display(self) -> str:
        return f"{self} ({self.node})" if self.node_id else str(self)


class AdminAuditEntry(models.Model):
    """What administrators changed (等保 2.0 审计). Append-only like the timeline."""

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=100)
    action = models.CharField("操作", max_length=32)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象ID", max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    changes = models.JSONField("变更内容", default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "管理审计日志"
        verbose_name_plural = "管理审计日志"
        ordering = ["-id"]

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("审计日志只可追加，不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("审计日志不可删除")
