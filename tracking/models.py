"""The tracking kernel's data: what every tracked item (case, commitment) shares.

A concrete item model inherits TrackedItem and declares WORKFLOW; the timeline,
ratings and the personal-data log point at any item through its content type.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode


class SupervisionStatus(models.TextChoices):
    ON_TRACK = "on_track", "正常"
    AT_RISK = "at_risk", "预警"
    OVERDUE = "overdue", "超期"


class EscalationLevel(models.IntegerChoices):
    NONE = 0, "未督办"
    REMINDER = 1, "提醒"
    NOTICE = 2, "督办单"
    CRITICISM = 3, "通报批评"
    MEDIA = 4, "媒体曝光"
    REFERRAL = 5, "移送纪委"


class RatingValue(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    NEUTRAL = "neutral", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class TrackedItem(models.Model):
    """Owner unit, deadline, state, supervision, visibility, ratings: written once."""

    WORKFLOW: ClassVar = None  # a tracking.workflow.Workflow

    state = models.CharField("状态", max_length=24)
    state_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    place = models.ForeignKey(
        OrgNode, verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    owner_unit = models.ForeignKey(
        OrgNode,
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        OrgNode, verbose_name="配合单位", blank=True, related_name="%(app_label)s_%(class)s_co"
    )
    deadline = models.DateField("完成时限", null=True, blank=True)
    supervision_status = models.CharField(
        "督办状态",
        max_length=12,
        choices=SupervisionStatus.choices,
        default=SupervisionStatus.ON_TRACK,
    )
    escalation_level = models.PositiveSmallIntegerField(
        "督办级别", choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    is_public = models.BooleanField("公开", default=False)
    rating_satisfied = models.PositiveIntegerField(default=0)
    rating_neutral = models.PositiveIntegerField(default=0)
    rating_unsatisfied = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    @property
    def state_label(self) -> str:
        return self.WORKFLOW.label(self.state)

    @property
    def is_open(self) -> bool:
        return self.state not in self.WORKFLOW.final

    @classmethod
    def content_type(cls) -> ContentType:
        return ContentType.objects.get_for_model(cls)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("纪实记录只可追加，不可修改")

    def delete(self):
        raise PermissionError("纪实记录只可追加，不可删除")


class TimelineEntry(models.Model):
    """纪实: who did what, when, with what note and evidence. Append-only.

    An empty actor means the system. `actor_label` keeps the name as it was.
    """

    item_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    item_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=120)
    action = models.CharField("动作", max_length=64)
    action_label = models.CharField("动作名称", max_length=64)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField("公开", default=False)
    created_at = models.DateTimeField("时间", default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "纪实记录"
        verbose_name_plural = "纪实记录"
        indexes = [models.Index(fields=["item_type", "item_id", "id"], name="timeline_item_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("纪实记录只可追加，不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("纪实记录只可追加，不可删除")


def evidence_path(instance: Evidence, filename: str) -> str:
    now = timezone.now()
    return f"evidence/{now:%Y/%m}/{instance.entry_id}_{filename}"


class Evidence(models.Model):
    """A file attached to a timeline entry (photo, scan, document)."""

    entry = models.ForeignKey(TimelineEntry, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def delete(self, *args, **kwargs):
        raise PermissionError("佐证材料不可删除")


class Rating(models.Model):
    """A resident's three-face rating of a tracked item."""

    item_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    item_id = models.BigIntegerField()
    value = models.CharField("评价", max_length=12, choices=RatingValue.choices)
    comment = models.CharField("留言", max_length=500, blank=True)
    # Who rated, without keeping who they are: a hash of the phone or tracking code.
    rater_key = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=24, default="resident")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        indexes = [models.Index(fields=["item_type", "item_id"], name="rating_item_idx")]


class PersonalDataAccess(models.Model):
    """Each staff read of a person's contact data: who, what, when, why."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    item_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    item_id = models.BigIntegerField()
    fields = models.CharField("字段", max_length=200)
    reason = models.CharField("事由", max_length=200)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        indexes = [models.Index(fields=["item_type", "item_id"], name="pii_item_idx")]


class CalendarYear(models.Model):
    """A year whose holidays are known (from the library or entered by the administrator)."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField(
        "来源", max_length=16, choices=[("library", "chinesecalendar"), ("admin", "管理员录入")]
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "节假日年度"
        verbose_name_plural = "节假日年度"

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """An exception to the weekend rule: a weekday holiday or a weekend workday (调休)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("名称", max_length=40, blank=True)

    class Meta:
        verbose_name = "节假日/调休日"
        verbose_name_plural = "节假日/调休日"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"
