"""Figures: activity records, the rollup tables the dashboard reads, score weights, highlights.

Rollup choice: tables kept by the periodic job (figures.jobs.rollup_refresh), one row
per (month, org node, category) and axis. Not counters bumped on each write: a case's
figures change long after intake (signed, replied, rated, reopened, moved to another
unit or place, overdue as days pass with no event at all), so counters would have to
hook every write path and still need a daily sweep. The job re-counts only the (month,
town) and (month, unit) groups touched since its last run, from the records: simple to
prove equal to a full recount, idempotent, and every dashboard read is a few hundred
indexed rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode
from taxonomy.models import Category


class ActivityKind(models.TextChoices):
    STUDY = "study", "学习"
    LECTURE = "lecture", "宣讲"
    TRAINING = "training", "培训"
    VISIT = "visit", "走访"
    FORUM = "forum", "座谈会"


# Kinds that collect problems and suggestions from residents.
COLLECTING_KINDS = (ActivityKind.VISIT, ActivityKind.FORUM)


class Activity(models.Model):
    """One session: a study meeting, a lecture, a training, a round of visits, a forum."""

    date = models.DateField("日期")
    place = models.ForeignKey(
        OrgNode, verbose_name="地点", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=12, choices=ActivityKind.choices)
    title = models.CharField("主题", max_length=200)
    people_reached = models.PositiveIntegerField("覆盖群众(人次)", default=0)
    participants = models.PositiveIntegerField("参与党员干部(人)", default=0)
    groups_visited = models.PositiveIntegerField("走访居民小组(个)", default=0)
    problems_collected = models.PositiveIntegerField("收集问题(个)", default=0)
    suggestions_collected = models.PositiveIntegerField("收集意见建议(条)", default=0)
    note = models.TextField("情况说明", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("记录时间", default=timezone.now)
    # Demo rows carry a key so seeding twice gives the same rows.
    demo_key = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = "活动记录"
        verbose_name_plural = "活动记录"
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["date"], name="activity_date_idx"),
            models.Index(fields=["place", "date"], name="activity_place_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["demo_key"], condition=~models.Q(demo_key=""), name="activity_demo_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.title}"


class ActivityCase(models.Model):
    """A case an activity produced (a problem raised at a forum, on a visit)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="case_links")
    # The case id, no FK: figures reads cases but its tables do not pin the cases schema
    # (the same loose link commitments uses for its source cases).
    case_id = models.BigIntegerField("诉求", db_index=True)

    class Meta:
        verbose_name = "活动关联诉求"
        verbose_name_plural = "活动关联诉求"
        constraints = [
            models.UniqueConstraint(fields=["activity", "case_id"], name="activity_case_uniq")
        ]


class Axis(models.TextChoices):
    PLACE = "place", "属地(含下级)"
    UNIT = "unit", "责任单位"


class CaseMonthly(models.Model):
    """Rollup: cases collected in `month`, for one node and category.

    axis=place: cases whose place lies in the node's subtree; is_total rows for villages
    and above, one row per category for towns and above. axis=unit: cases whose owner
    unit is the node, in total and per category. Counts are as of the last job run;
    only a village's split (by category, by grid) and grids are counted live, from the
    village's own few cases (figures.selectors).
    """

    month = models.DateField("月份")  # first day of the month
    axis = models.CharField(max_length=5, choices=Axis.choices)
    node = models.ForeignKey(OrgNode, on_delete=models.CASCADE, related_name="+")
    is_total = models.BooleanField(default=False)
    category = models.ForeignKey(Category, null=True, on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    signed_in_time = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_with_deadline = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "诉求月度汇总"
        verbose_name_plural = "诉求月度汇总"
        indexes = [
            models.Index(fields=["axis", "node", "month"], name="casemonthly_node_idx"),
            models.Index(fields=["month", "axis"], name="casemonthly_month_idx"),
        ]


class SignLimit(models.Model):
    """For a dispatch day, the last day a signature counts as in time (working days)."""

    day = models.DateField(primary_key=True)
    limit_day = models.DateField()


class RollupState(models.Model):
    """The job's marks: cases above max_id or updated after the watermark are re-counted.

    generation: bumped whenever a rollup table (or an activity) changes; the dashboard's
    cache key carries it, so a cached page never outlives the rows it was built from.
    """

    name = models.CharField(max_length=32, primary_key=True)
    watermark = models.DateTimeField(null=True)
    max_id = models.BigIntegerField(null=True)  # the highest case id counted
    last_day = models.DateField(null=True)  # the day "overdue" was last computed for
    generation = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class CaseKey(models.Model):
    """Where each case was last counted: its month, town (the rollup group) and owner unit.

    The incremental job needs the old group of a case that moved (redispatched to
    another unit, re-placed, re-classified within its town): both groups are re-counted.
    """

    case_id = models.BigIntegerField(primary_key=True)
    month = models.DateField()
    town_id = models.IntegerField()  # the place's town (or the place itself above towns)
    unit_id = models.IntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["month", "town_id"], name="casekey_town_idx"),
            models.Index(fields=["month", "unit_id"], name="casekey_unit_idx"),
        ]


class ScoreWeights(models.Model):
    """The office's weights for the composite score (综合得分). One row (pk=1)."""

    response = models.PositiveSmallIntegerField("响应率权重", default=20)
    resolution = models.PositiveSmallIntegerField("解决率权重", default=30)
    satisfaction = models.PositiveSmallIntegerField("满意率权重", default=30)
    on_time = models.PositiveSmallIntegerField("按时办结率权重", default=20)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "综合得分权重"
        verbose_name_plural = "综合得分权重"

    @classmethod
    def current(cls) -> ScoreWeights:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def as_dict(self) -> dict[str, int]:
        return {
            "response": self.response,
            "resolution": self.resolution,
            "satisfaction": self.satisfaction,
            "on_time": self.on_time,
        }


class Highlight(models.Model):
    """A 亮点做法 the office picked from a progress report for the briefing."""

    report_id = models.BigIntegerField("进度报送", unique=True)
    unit = models.ForeignKey(
        OrgNode, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("月份", max_length=7)  # 2026-10: the briefing it goes into
    text = models.TextField("亮点做法")
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    picked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "亮点做法"
        verbose_name_plural = "亮点做法"
        ordering = ["period", "id"]


class Briefing(models.Model):
    """A numbered 工作通报 issued for a node and month (the number is kept, never reused)."""

    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "工作通报"
        verbose_name_plural = "工作通报"
        constraints = [
            models.UniqueConstraint(fields=["node", "period"], name="briefing_node_period_uniq"),
            models.UniqueConstraint(fields=["node", "year", "number"], name="briefing_number_uniq"),
        ]


class ItemSnapshot(models.Model):
    """Rollup of the current state of tracked items (commitments; escalated cases).

    node: every ancestor of the item's place and of its owner unit (each item counted
    once per node even when both lie under it). Rebuilt by the job, writing only changes.
    """

    model = models.CharField(max_length=60)  # "commitments.commitment"
    node = models.ForeignKey(OrgNode, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, blank=True)
    state = models.CharField(max_length=24)
    supervision_status = models.CharField(max_length=12)
    escalation_level = models.PositiveSmallIntegerField()
    # A rectification measure's problem level (检视问题层级); blank for everything else.
    level = models.CharField(max_length=8, blank=True, default="")
    n = models.PositiveIntegerField()

    class Meta:
        verbose_name = "事项状态汇总"
        verbose_name_plural = "事项状态汇总"
        indexes = [models.Index(fields=["node", "model"], name="snapshot_node_idx")]


class ReportMonthly(models.Model):
    """Rollup of progress-report punctuality: reports due in a month, per unit ancestor."""

    month = models.DateField()
    node = models.ForeignKey(OrgNode, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10)
    is_late = models.BooleanField()
    n = models.PositiveIntegerField()

    class Meta:
        verbose_name = "报送及时性汇总"
        verbose_name_plural = "报送及时性汇总"
        indexes = [models.Index(fields=["node", "month"], name="reportmonthly_node_idx")]
