"""Programmes, commitments (on the tracking kernel), rectification problems and progress reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode, Role
from taxonomy.models import Category
from tracking.models import TrackedItem
from tracking.workflow import transition, workflow

# --- programme ----------------------------------------------------------------


class HolidayRule(models.TextChoices):
    NEXT = "next", "顺延至下一个工作日"
    PREVIOUS = "previous", "提前至上一个工作日"
    NONE = "none", "不调整（按自然日）"


WEEKDAYS = [
    (0, "周一"),
    (1, "周二"),
    (2, "周三"),
    (3, "周四"),
    (4, "周五"),
    (5, "周六"),
    (6, "周日"),
]


class Programme(models.Model):
    """A commitment list per year ("2026年我为群众办实事项目清单") and its report cadences."""

    name = models.CharField("名称", max_length=120, unique=True)
    year = models.PositiveSmallIntegerField("年度")
    description = models.TextField("说明", blank=True)
    monthly_enabled = models.BooleanField("月报", default=True)
    monthly_due_day = models.PositiveSmallIntegerField(
        "月报截止日", default=25, help_text="每月几日报送；超过当月天数时取月末"
    )
    weekly_enabled = models.BooleanField("周报（牵头单位）", default=True)
    weekly_due_weekday = models.PositiveSmallIntegerField("周报截止", choices=WEEKDAYS, default=3)
    holiday_rule = models.CharField(
        "截止日遇节假日", max_length=10, choices=HolidayRule.choices, default=HolidayRule.NEXT
    )
    is_active = models.BooleanField("进行中", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "项目清单"
        verbose_name_plural = "项目清单"
        ordering = ["-year", "id"]

    def __str__(self) -> str:
        return self.name


# --- commitment ----------------------------------------------------------------


class Kind(models.TextChoices):
    PROJECT = "project", "民生实事项目"
    KEY_TASK = "key_task", "重点任务"
    RECTIFICATION = "rectification", "整改措施"


class Level(models.TextChoices):
    COUNTY = "county", "县级"
    TOWN = "town", "乡镇级"
    VILLAGE = "village", "村级"


def _needs_evidence(*, actor, item, changes, data) -> None:
    from core.errors import InvalidInput

    if not data.get("evidence_count"):
        raise InvalidInput(
            "申报完成须上传佐证材料（照片或文件）", fields={"evidence": ["请上传佐证材料"]}
        )


def _not_the_claimer(*, actor, item, changes, data) -> None:
    from core.errors import PermissionDenied

    if actor is not None and item.claimed_by_id == actor.pk:
        raise PermissionDenied("验收须由申报完成人以外的人员进行")


def _needs_reason(*, actor, item, changes, data) -> None:
    from core.errors import InvalidInput

    if not (data.get("reason") or "").strip():
        raise InvalidInput("请填写退回理由", fields={"note": ["请填写退回理由"]})


WORKERS = [Role.UNIT_HANDLER, Role.UNIT_HEAD]
CHECKERS = [Role.OFFICE, Role.INSPECTOR]

COMMITMENT_WORKFLOW = workflow(
    "commitment",
    {
        "draft": "草稿",
        "published": "已公布",
        "in_progress": "推进中",
        "completed": "已完成",
        "accepted": "已验收",
        "closed": "已销号",
    },
    "draft",
    ["closed"],
    transition("publish", "公布", ["draft"], "published", [Role.OFFICE], relation="place"),
    transition(
        "start", "启动推进", ["published"], "in_progress", [*WORKERS, Role.OFFICE], relation="owner"
    ),
    transition(
        "progress",
        "更新进度",
        ["published", "in_progress"],
        None,
        [*WORKERS, Role.OFFICE],
        relation="owner",
        system=True,
    ),
    transition(
        "complete",
        "申报完成",
        ["in_progress"],
        "completed",
        WORKERS,
        relation="owner",
        guard=_needs_evidence,
        public=True,
    ),
    transition(
        "accept",
        "验收通过",
        ["completed"],
        "accepted",
        CHECKERS,
        relation="visible",
        guard=_not_the_claimer,
        public=True,
    ),
    transition(
        "reject",
        "验收退回",
        ["completed"],
        "in_progress",
        CHECKERS,
        relation="visible",
        guard=_needs_reason,
    ),
    transition(
        "close", "销号", ["accepted"], "closed", [Role.OFFICE], relation="place", public=True
    ),
    # Supervision's reopen contract (supervision/integrations.py): a failed spot check
    # sends finished work back to the unit.
    transition(
        "supervision_reopen",
        "督查重办",
        ["completed", "accepted", "closed"],
        "in_progress",
        CHECKERS,
        relation="visible",
        public=True,
    ),
)
OPEN_STATES = frozenset({"published", "in_progress"})
FINISHED_STATES = frozenset({"completed", "accepted", "closed"})


class Commitment(TrackedItem):
    """A promise the government tracks: project, key task or rectification measure."""

    WORKFLOW = COMMITMENT_WORKFLOW

    programme = models.ForeignKey(
        Programme, verbose_name="项目清单", on_delete=models.PROTECT, related_name="commitments"
    )
    seq = models.PositiveIntegerField("序号", default=0)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.PROJECT)
    title = models.CharField("项目名称", max_length=200)
    tasks = models.TextField("主要内容", blank=True)
    lead_official = models.CharField("牵头领导", max_length=60, blank=True)
    category = models.ForeignKey(
        Category, verbose_name="类别", null=True, blank=True, on_delete=models.SET_NULL
    )
    level = models.CharField("层级", max_length=10, choices=Level.choices, default=Level.COUNTY)
    target_quantity = models.DecimalField(
        "目标数量", max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField("计量单位", max_length=12, blank=True)
    done_quantity = models.DecimalField(
        "已完成数量", max_digits=14, decimal_places=2, null=True, blank=True
    )
    progress_percent = models.PositiveSmallIntegerField("完成进度(%)", default=0)
    budget = models.DecimalField(
        "预算(万元)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    is_flagship = models.BooleanField("重点项目", default=False)
    # Rectification measures answer a problem; 立行立改 needs no deadline.
    problem = models.ForeignKey(
        "RectificationProblem",
        verbose_name="检视问题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    is_immediate = models.BooleanField("立行立改", default=False)
    responsible_person = models.CharField("责任人", max_length=60, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报完成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed_at = models.DateTimeField("申报完成时间", null=True, blank=True)
    accepted_at = models.DateTimeField("验收时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    class Meta:
        verbose_name = "民生实事项目"
        verbose_name_plural = "民生实事项目"
        ordering = ["programme", "seq", "id"]
        indexes = [
            models.Index(fields=["programme", "state"], name="commit_prog_state_idx"),
            models.Index(fields=["owner_unit", "state"], name="commit_unit_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def target_label(self) -> str:
        if self.target_quantity is None:
            return ""
        return f"{_num(self.target_quantity)}{self.target_unit}"

    @property
    def done_label(self) -> str:
        if self.done_quantity is None:
            return ""
        return f"{_num(self.done_quantity)}{self.target_unit}"

    @property
    def tone(self) -> str:
        """Tile colour on the 挂图作战 board."""
        if self.state in ("accepted", "closed"):
            return "done"
        if self.state == "completed":
            return "ok"
        if self.supervision_status == "overdue":
            return "danger"
        if self.supervision_status == "at_risk":
            return "warn"
        if self.state == "draft":
            return "draft"
        return "run"


def _num(value) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class CommitmentSourceCase(models.Model):
    """The cases a commitment came from (立项). Loose link: the case id, no FK across apps."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="source_cases"
    )
    case_id = models.BigIntegerField("来源诉求")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "来源诉求"
        verbose_name_plural = "来源诉求"
        constraints = [
            models.UniqueConstraint(fields=["commitment", "case_id"], name="commit_case_uniq")
        ]


# --- rectification ---------------------------------------------------------------


class ProblemLevel(models.TextChoices):
    TEAM = "team", "领导班子"
    CADRE = "cadre", "领导干部"
    ORG = "org", "基层党组织"
    MEMBER = "member", "党员个人"


class RectificationProblem(models.Model):
    """检视问题: a problem found on one of four levels; measures are Commitments."""

    programme = models.ForeignKey(
        Programme, verbose_name="项目清单", on_delete=models.PROTECT, related_name="problems"
    )
    level = models.CharField("层级", max_length=8, choices=ProblemLevel.choices)
    text = models.CharField("问题", max_length=300)
    unit = models.ForeignKey(
        OrgNode, verbose_name="所属单位", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "检视问题"
        verbose_name_plural = "检视问题"
        ordering = ["programme", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "level", "text"], name="rect_problem_uniq")
        ]

    def __str__(self) -> str:
        return self.text


# --- progress reports ---------------------------------------------------------------


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "月度进度"
    WEEKLY = "weekly", "周报（牵头单位）"


class ReportStatus(models.TextChoices):
    DUE = "due", "待报送"
    MISSING = "missing", "缺报"
    SUBMITTED = "submitted", "已报送"
    LATE = "late", "迟报"
    APPROVED = "approved", "已审核"


class ProgressReport(models.Model):
    """进度纪实台账: one due slot (monthly per commitment, weekly per lead unit) and its content.

    `status` follows the slot: due → submitted/late → approved; a slot past its due
    date with nothing in becomes missing. `is_late` stays set after approval so
    punctuality counts survive.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="reports", verbose_name="项目清单"
    )
    kind = models.CharField("类型", max_length=8, choices=ReportKind.choices)
    commitment = models.ForeignKey(
        Commitment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name="项目",
    )
    unit = models.ForeignKey(
        OrgNode, verbose_name="报送单位", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("报送期", max_length=10)  # "2026-05" or "2026-W19"
    period_start = models.DateField("期初")
    due_date = models.DateField("截止日期", db_index=True)
    status = models.CharField(
        "状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DUE
    )
    is_late = models.BooleanField("迟报", default=False)
    percent = models.PositiveSmallIntegerField("完成进度(%)", null=True, blank=True)
    done_quantity = models.DecimalField(
        "已完成数量", max_digits=14, decimal_places=2, null=True, blank=True
    )
    narrative = models.TextField("进展情况", blank=True)
    highlights = models.TextField("亮点做法", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_steps = models.TextField("下步打算", blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_note = models.CharField("退回意见", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "进度报送"
        verbose_name_plural = "进度报送"
        ordering = ["-due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "period"],
                condition=models.Q(kind="monthly"),
                name="report_monthly_uniq",
            ),
            models.UniqueConstraint(
                fields=["programme", "unit", "period"],
                condition=models.Q(kind="weekly"),
                name="report_weekly_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="report_unit_status_idx"),
            # The nightly "still due after its due date" sweep reads only open slots.
            models.Index(
                fields=["due_date"], condition=models.Q(status="due"), name="report_due_idx"
            ),
            # Supervision's "report missing" rule probes each open item's missing slots.
            models.Index(
                fields=["commitment"],
                condition=models.Q(status="missing"),
                name="report_missing_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period}"

    @property
    def is_open(self) -> bool:
        return self.status in (ReportStatus.DUE, ReportStatus.MISSING)

    @property
    def period_label(self) -> str:
        if self.kind == ReportKind.MONTHLY:
            y, m = self.period.split("-")
            return f"{y}年{int(m)}月"
        y, w = self.period.split("-W")
        return f"{y}年第{int(w)}周"


def photo_path(instance: ReportPhoto, filename: str) -> str:
    now = timezone.now()
    return f"reports/{now:%Y/%m}/{instance.report_id}_{filename}"


class ReportPhoto(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    original_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "报送照片"
        verbose_name_plural = "报送照片"
