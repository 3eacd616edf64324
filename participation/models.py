"""Public participation: comparison polls, micro-wishes, volunteer orders.

Micro-wishes and volunteer orders are tracked items on the kernel (state, timeline,
ratings written once there). Polls are not: they have no owner unit or deadline,
only an open/close window kept by the office.

Personal data stays in the *Contact models (one-to-one, never rendered publicly);
the public pages show masked labels only.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from orgs.models import OrgNode, Role
from tracking.models import TrackedItem
from tracking.workflow import transition, workflow

# Tracking codes: no look-alike characters (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


# --- polls (网络比选) ----------------------------------------------------------


class Poll(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        OPEN = "open", "投票中"
        CLOSED = "closed", "已截止"
        PUBLISHED = "published", "已公布结果"

    title = models.CharField("比选名称", max_length=200)
    description = models.TextField("说明", blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("截止时间")
    max_choices = models.PositiveSmallIntegerField("每人可选项数", default=1)
    outcome = models.TextField("比选结果", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField("投票人数", default=0)

    class Meta:
        verbose_name = "网络比选"
        verbose_name_plural = "网络比选"
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    def accepting_votes(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.starts_at <= now < self.ends_at


class PollOption(models.Model):
    """One option: a title and description, optionally pointing at a tracked item."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    title = models.CharField("选项", max_length=200)
    description = models.TextField("简介", blank=True)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.BigIntegerField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    votes = models.PositiveIntegerField("得票", default=0)

    class Meta:
        verbose_name = "比选项"
        verbose_name_plural = "比选项"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def target(self):
        if not (self.target_type_id and self.target_id):
            return None
        model = self.target_type.model_class()
        return model.objects.filter(pk=self.target_id).first() if model else None


class Vote(models.Model):
    """One verified phone's vote. Only a salted hash of the phone is kept."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="ballots")
    voter_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "投票"
        verbose_name_plural = "投票"
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "voter_key", "option"], name="vote_once_per_option"
            )
        ]
        indexes = [models.Index(fields=["poll", "voter_key"], name="vote_poll_voter_idx")]


# --- micro-wishes (微心愿) -----------------------------------------------------


def _wish_guard_claimant(*, actor, item, changes, data):
    from .services import require_claimant

    require_claimant(actor, item)


def _wish_guard_proof(*, actor, item, changes, data):
    from core.errors import InvalidInput

    from .services import require_claimant

    require_claimant(actor, item)
    if not (changes.get("fulfilment") or "").strip():
        raise InvalidInput("请填写圆梦情况", fields={"fulfilment": ["请填写圆梦情况"]})
    if not data.get("evidence_count"):
        raise InvalidInput("请上传圆梦照片等佐证材料", fields={"evidence": ["请上传佐证材料"]})


CLAIMANT_ROLES = [Role.VOLUNTEER, Role.UNIT_HANDLER, Role.UNIT_HEAD]
REVIEW_ROLES = [Role.OFFICE, Role.GRID_WORKER]

WISH_WORKFLOW = workflow(
    "microwish",
    {
        "posted": "待审核",
        "approved": "待认领",
        "rejected": "未通过",
        "claimed": "已认领",
        "fulfilled": "已圆梦",
        "confirmed": "已确认",
    },
    "posted",
    ["rejected", "confirmed"],
    transition("approve", "审核通过", ["posted"], "approved", REVIEW_ROLES, relation="place"),
    transition("reject", "审核不通过", ["posted"], "rejected", REVIEW_ROLES, relation="place"),
    transition(
        "claim", "认领", ["approved"], "claimed", CLAIMANT_ROLES, public=True, relation="visible"
    ),
    transition(
        "release",
        "放弃认领",
        ["claimed"],
        "approved",
        CLAIMANT_ROLES + [Role.OFFICE],
        public=True,
        relation="visible",
    ),
    transition(
        "fulfil",
        "圆梦",
        ["claimed"],
        "fulfilled",
        CLAIMANT_ROLES,
        guard=_wish_guard_proof,
        public=True,
        relation="visible",
    ),
    transition(
        "confirm",
        "社区确认",
        ["fulfilled"],
        "confirmed",
        REVIEW_ROLES,
        public=True,
        relation="place",
    ),
)


class MicroWish(TrackedItem):
    WORKFLOW = WISH_WORKFLOW

    class Source(models.TextChoices):
        RESIDENT = "resident", "群众发布"
        VILLAGE = "village", "村(社区)代发"
        CASE = "case", "诉求转办"

    title = models.CharField("心愿", max_length=100)
    text = models.TextField("心愿详情", blank=True)
    wisher_label = models.CharField("心愿人(公开称呼)", max_length=40, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.RESIDENT)
    source_case_id = models.BigIntegerField(null=True, blank=True, unique=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="圆梦人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    claimant_unit = models.ForeignKey(
        OrgNode,
        verbose_name="圆梦单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimant_label = models.CharField("圆梦人(公开)", max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    fulfilment = models.TextField("圆梦情况", blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "微心愿"
        verbose_name_plural = "微心愿"
        indexes = [models.Index(fields=["is_public", "state"], name="wish_public_state_idx")]

    def __str__(self) -> str:
        return self.title


class WishContact(models.Model):
    """The wisher's contact: PRIVATE, never on a public page."""

    wish = models.OneToOneField(MicroWish, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=20, blank=True)
    address = models.CharField("详细地址", max_length=200, blank=True)


# --- volunteer service (群众点单、中心派单、志愿者接单) -------------------------


class Team(models.Model):
    name = models.CharField("队伍名称", max_length=100, unique=True)
    node = models.ForeignKey(
        OrgNode, verbose_name="所属", on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField("服务领域", max_length=200, blank=True)
    is_active = models.BooleanField("在册", default=True)

    class Meta:
        verbose_name = "志愿服务队"
        verbose_name_plural = "志愿服务队"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_leader = models.BooleanField("队长", default=False)
    joined_at = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = "队员"
        verbose_name_plural = "队员"
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_once")]


class MenuItem(models.Model):
    """The centre's service menu; lectures (宣讲) carry the month they are offered."""

    class Kind(models.TextChoices):
        SERVICE = "service", "志愿服务"
        LECTURE = "lecture", "宣讲"

    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    title = models.CharField("服务项目", max_length=120)
    description = models.TextField("内容", blank=True)
    month = models.DateField("宣讲月份", null=True, blank=True)  # first day of the month
    speaker = models.CharField("宣讲人/服务方", max_length=80, blank=True)
    default_team = models.ForeignKey(
        Team, verbose_name="常派队伍", null=True, blank=True, on_delete=models.SET_NULL
    )
    is_active = models.BooleanField("上架", default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "服务菜单"
        verbose_name_plural = "服务菜单"
        ordering = ["kind", "month", "order", "id"]

    def __str__(self) -> str:
        return self.title


def _order_guard_team(*, actor, item, changes, data):
    from .services import require_team_member

    require_team_member(actor, item.team_id)


def _order_guard_dispatch(*, actor, item, changes, data):
    from core.errors import InvalidInput

    if not changes.get("team"):
        raise InvalidInput("请选择志愿服务队", fields={"team": ["请选择志愿服务队"]})


def _order_guard_served(*, actor, item, changes, data):
    from core.errors import InvalidInput

    from .services import require_team_member

    require_team_member(actor, item.team_id)
    if not changes.get("hours") or changes["hours"] <= 0:
        raise InvalidInput("请填写服务时长", fields={"hours": ["请填写服务时长"]})


ORDER_WORKFLOW = workflow(
    "volunteer_order",
    {
        "ordered": "待派单",
        "dispatched": "已派单",
        "accepted": "已接单",
        "declined": "已拒单",
        "served": "已服务",
        "rated": "已评价",
        "cancelled": "已取消",
    },
    "ordered",
    ["rated", "cancelled"],
    transition(
        "dispatch",
        "派单",
        ["ordered", "declined"],
        "dispatched",
        [Role.OFFICE],
        guard=_order_guard_dispatch,
        public=True,
    ),
    transition(
        "accept",
        "接单",
        ["dispatched"],
        "accepted",
        [Role.VOLUNTEER],
        guard=_order_guard_team,
        public=True,
    ),
    transition(
        "decline", "拒单", ["dispatched"], "declined", [Role.VOLUNTEER], guard=_order_guard_team
    ),
    transition(
        "serve",
        "服务完成",
        ["accepted"],
        "served",
        [Role.VOLUNTEER],
        guard=_order_guard_served,
        public=True,
    ),
    transition("rate", "评价", ["served"], "rated", [Role.GRID_WORKER], system=True, public=True),
    transition("cancel", "取消", ["ordered", "declined"], "cancelled", [Role.OFFICE]),
)


class VolunteerOrder(TrackedItem):
    WORKFLOW = ORDER_WORKFLOW

    class Orderer(models.TextChoices):
        RESIDENT = "resident", "群众点单"
        VILLAGE = "village", "村(社区)点单"

    code = models.CharField("查询码", max_length=12, unique=True, default=new_code)
    menu_item = models.ForeignKey(
        MenuItem, verbose_name="服务项目", on_delete=models.PROTECT, related_name="orders"
    )
    orderer_kind = models.CharField(max_length=12, choices=Orderer.choices)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needs = models.TextField("需求说明", blank=True)
    wanted_date = models.DateField("期望日期", null=True, blank=True)
    team = models.ForeignKey(
        Team, verbose_name="承接队伍", null=True, blank=True, on_delete=models.PROTECT
    )
    served_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField("服务时长(小时)", max_digits=6, decimal_places=1, default=0)
    attendees = models.PositiveIntegerField("服务/受众人数", default=0)
    service_note = models.TextField("服务记录", blank=True)

    class Meta:
        verbose_name = "志愿服务订单"
        verbose_name_plural = "志愿服务订单"
        indexes = [models.Index(fields=["team", "state"], name="order_team_state_idx")]

    def __str__(self) -> str:
        return f"{self.menu_item.title}（{self.place.name}）"

    @property
    def title(self) -> str:
        return self.menu_item.title


class OrderContact(models.Model):
    """The resident orderer's contact: PRIVATE."""

    order = models.OneToOneField(VolunteerOrder, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=20)


class ServiceHours(models.Model):
    """Hours one volunteer gave on one order (per-member and per-team totals sum these)."""

    order = models.ForeignKey(VolunteerOrder, on_delete=models.CASCADE, related_name="hour_rows")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="hour_rows")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_hours"
    )
    hours = models.DecimalField(max_digits=6, decimal_places=1)
    served_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = "服务时长"
        verbose_name_plural = "服务时长"
        constraints = [
            models.UniqueConstraint(fields=["order", "volunteer"], name="hours_once_per_order")
        ]
