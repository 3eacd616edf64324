"""Supervision (督办): ladder policies, notices, briefing listings, referrals,
notifications, inspection groups, spot checks and return visits.

Items are referred to generically (content type + id), so the same tables serve
cases, commitments and any other kind in tracking.registry.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode
from tracking.models import EscalationLevel


class Trigger(models.TextChoices):
    OFF = "off", "不启用"
    AT_RISK = "at_risk", "出现预警（含超期）"
    OVERDUE = "overdue", "超期达N个工作日"
    NOTICE_UNANSWERED = "notice_unanswered", "督办单逾期未答复达N个工作日"


class LadderPolicy(models.Model):
    """The status rule and the escalation ladder, each rung with its trigger and delay.

    scope_key "" is the global default. A kind's own policy is keyed by its model
    label ("commitments.commitment"); a programme's by "label:field=value"
    ("commitments.commitment:programme=3", the field named by the kind's
    `scope_field` hook). The most specific policy wins.
    """

    scope_key = models.CharField(
        "适用范围", max_length=100, unique=True, blank=True, help_text="留空为全局默认"
    )
    name = models.CharField("名称", max_length=100)
    at_risk_gap = models.PositiveSmallIntegerField(
        "进度滞后预警阈值(百分点)",
        default=15,
        help_text="完成进度低于按时间推算的应完成进度超过此值即预警",
    )
    due_soon_workdays = models.PositiveSmallIntegerField(
        "临期预警(工作日)", default=2, help_text="距完成时限不足N个工作日即预警"
    )
    missing_report_at_risk = models.BooleanField("缺报进度即预警", default=True)
    notice_answer_workdays = models.PositiveSmallIntegerField("督办单答复时限(工作日)", default=3)
    rung1_trigger = models.CharField(
        "提醒·触发", max_length=20, choices=Trigger.choices, default=Trigger.AT_RISK
    )
    rung1_delay = models.PositiveSmallIntegerField("提醒·N", default=0)
    rung2_trigger = models.CharField(
        "督办单·触发", max_length=20, choices=Trigger.choices, default=Trigger.OVERDUE
    )
    rung2_delay = models.PositiveSmallIntegerField("督办单·N", default=1)
    rung3_trigger = models.CharField(
        "通报批评·触发", max_length=20, choices=Trigger.choices, default=Trigger.OVERDUE
    )
    rung3_delay = models.PositiveSmallIntegerField("通报批评·N", default=10)
    rung4_trigger = models.CharField(
        "媒体曝光·触发", max_length=20, choices=Trigger.choices, default=Trigger.OVERDUE
    )
    rung4_delay = models.PositiveSmallIntegerField("媒体曝光·N", default=20)
    rung5_trigger = models.CharField(
        "移送纪委·触发", max_length=20, choices=Trigger.choices, default=Trigger.OVERDUE
    )
    rung5_delay = models.PositiveSmallIntegerField("移送纪委·N", default=30)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "督办规则"
        verbose_name_plural = "督办规则"
        ordering = ["scope_key"]

    def __str__(self) -> str:
        return f"{self.name}（{self.scope_key or '全局默认'}）"

    def rung(self, level: int) -> tuple[str, int]:
        return getattr(self, f"rung{level}_trigger"), getattr(self, f"rung{level}_delay")


class ItemRef(models.Model):
    """A pointer to any tracked item, plus the unit answerable for it."""

    item_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    item_id = models.BigIntegerField()
    unit = models.ForeignKey(
        OrgNode, verbose_name="责任单位", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        abstract = True

    @property
    def item(self):
        if not hasattr(self, "_item"):
            model = self.item_type.model_class()
            self._item = model.objects.filter(pk=self.item_id).first()
        return self._item


class Notice(ItemRef):
    """督办单: the unit answers in writing by a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已解除"

    number = models.CharField("编号", max_length=24, unique=True)
    level = models.PositiveSmallIntegerField("督办级别", choices=EscalationLevel.choices, default=2)
    reason = models.TextField("督办事由")
    answer_due = models.DateField("答复时限")
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    answer = models.TextField("书面答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField("到期提醒时间", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["item_type", "item_id", "status"], name="notice_item_idx"),
            models.Index(fields=["unit", "status"], name="notice_unit_idx"),
            # The nightly jobs read open notices by answer date (reminders, the
            # "unanswered" rung): a partial index holds only those.
            models.Index(
                fields=["answer_due"],
                condition=models.Q(status="open"),
                name="notice_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class BriefingListing(ItemRef):
    """通报批评: the unit is named in the next briefing (figures writes it, sets briefed_at)."""

    reason = models.TextField("事由")
    briefed_at = models.DateTimeField("已通报时间", null=True, blank=True)

    class Meta:
        verbose_name = "通报批评名单"
        verbose_name_plural = "通报批评名单"
        ordering = ["-id"]
        indexes = [models.Index(fields=["item_type", "item_id"], name="listing_item_idx")]


class Referral(ItemRef):
    """移送纪委: the dossier (item, whole timeline, notices) is built as a Word file on request."""

    reason = models.TextField("移送事由")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "移送纪委"
        verbose_name_plural = "移送纪委"
        ordering = ["-id"]
        indexes = [models.Index(fields=["item_type", "item_id"], name="referral_item_idx")]


class Notification(models.Model):
    """An in-app message (the bell). Outside channels (SMS, WeChat Work) are in channels.py."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)
    item_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_id = models.BigIntegerField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_unread_idx")]


class InspectionGroup(models.Model):
    """巡回指导组: staff assigned to units and towns; sees their items."""

    name = models.CharField("名称", max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="成员", related_name="inspection_groups"
    )
    nodes = models.ManyToManyField(
        OrgNode, verbose_name="联系单位/乡镇", related_name="inspection_groups"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "巡回指导组"
        verbose_name_plural = "巡回指导组"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SpotCheck(models.Model):
    """随机抽查: N finished items per unit, drawn with a recorded seed."""

    group = models.ForeignKey(InspectionGroup, on_delete=models.PROTECT, related_name="checks")
    seed = models.CharField("随机种子", max_length=64)
    per_unit = models.PositiveSmallIntegerField("每单位抽取数")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("抽取时间", default=timezone.now)
    # {unit_id: {kind_label: [population pks, sorted]}}: the draw can be replayed from it.
    population = models.JSONField("抽样总体", default=dict)

    class Meta:
        verbose_name = "随机抽查"
        verbose_name_plural = "随机抽查"
        ordering = ["-id"]


class SpotCheckItem(ItemRef):
    class Result(models.TextChoices):
        PENDING = "pending", "待核查"
        PASSED = "passed", "合格"
        FAILED = "failed", "不合格"

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(
        "核查结果", max_length=10, choices=Result.choices, default=Result.PENDING
    )
    finding = models.TextField("发现问题", blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "抽查事项"
        verbose_name_plural = "抽查事项"
        ordering = ["spot_check", "unit_id", "position"]


class ReturnVisit(ItemRef):
    """回访: a call to the requester of a closed case and its outcome."""

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        UNSATISFIED = "unsatisfied", "不满意"
        UNREACHABLE = "unreachable", "无法联系"

    group = models.ForeignKey(
        InspectionGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    outcome = models.CharField("回访结果", max_length=12, choices=Outcome.choices)
    note = models.TextField("回访记录", blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["-id"]
        indexes = [models.Index(fields=["item_type", "item_id"], name="visit_item_idx")]


class JobMark(models.Model):
    """Where a periodic job left off: the day it ran for, the last timeline entry and
    time it had seen, and the rules it ran under. The next run re-reads only what
    changed since (and what time moved past a threshold); see supervision/jobs.py."""

    name = models.CharField(max_length=60, unique=True)
    day = models.DateField()
    timeline_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    signature = models.CharField(max_length=64)
    full_on = models.DateField(null=True)

    class Meta:
        verbose_name = "定时任务进度"
        verbose_name_plural = "定时任务进度"

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
