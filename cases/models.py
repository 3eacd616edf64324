"""Cases (民意民盼台账): a demand from people, on the tracking kernel.

Contact data lives in CaseContact, a separate table, so list queries never load it
and every staff read of it can be logged (tracking.services.personal_data_access_log).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from taxonomy.models import Category, Item
from tracking.models import TrackedItem
from tracking.workflow import transition, workflow

# No look-alike characters (0/O, 1/I/L), upper case only: read out over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Kind(models.TextChoices):
    REQUEST = "request", "诉求"
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "建议"
    WISH = "wish", "微心愿"
    VOLUNTEER = "volunteer", "志愿服务点单"
    HOME_SERVICE = "home_service", "上门帮办"


# What a resident may pick on the public page.
PUBLIC_KINDS = (Kind.REQUEST, Kind.COMPLAINT, Kind.SUGGESTION)


class Channel(models.TextChoices):
    WEB = "web", "网上"
    PHONE = "phone", "电话"
    FORUM = "forum", "座谈会"
    VISIT = "visit", "走访"
    BOX = "box", "意见箱"
    WECHAT = "wechat", "微信群"
    WALL = "wall", "民生实事墙"
    SURVEY = "survey", "征求表"
    HOTLINE = "hotline", "热线导入"
    API = "api", "接口"


# Channels staff enter on behalf of residents.
STAFF_CHANNELS = (
    Channel.VISIT,
    Channel.FORUM,
    Channel.BOX,
    Channel.WECHAT,
    Channel.WALL,
    Channel.SURVEY,
    Channel.PHONE,
    Channel.HOTLINE,
)
# Channels on which one form records many items (a forum, a round of visits).
BATCH_CHANNELS = (Channel.FORUM, Channel.VISIT, Channel.SURVEY, Channel.WALL, Channel.BOX)


class State:
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    RATED = "rated"
    CLOSED = "closed"


STATES = {
    State.SUBMITTED: "待受理",
    State.ACCEPTED: "已受理",
    State.DECLINED: "不予受理",
    State.MERGED: "已合并",
    State.DISPATCHED: "已交办",
    State.SIGNED: "已签收",
    State.IN_PROGRESS: "办理中",
    State.REPLIED: "已办结",
    State.RATED: "已评价",
    State.CLOSED: "已销号",
}
OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.ACCEPTED,
        State.DISPATCHED,
        State.SIGNED,
        State.IN_PROGRESS,
    }
)
# States in which a unit's deadline runs.
WORKING_STATES = frozenset({State.DISPATCHED, State.SIGNED, State.IN_PROGRESS})
FINISHED_STATES = frozenset({State.REPLIED, State.RATED, State.CLOSED})

_OFFICE = ("office",)
_UNIT = ("unit_handler", "unit_head")
_STAFF_ALL = ("office", "unit_handler", "unit_head", "grid_worker")

# The case workflow as data (DESIGN §4). Rules beyond role/relation/state live in
# cases.services; the kernel checks these.
CASE_WORKFLOW = workflow(
    "case",
    STATES,
    State.SUBMITTED,
    [State.DECLINED, State.MERGED, State.CLOSED],
    transition(
        "accept", "受理", [State.SUBMITTED], State.ACCEPTED, _OFFICE, relation="place", public=True
    ),
    transition(
        "decline",
        "不予受理",
        [State.SUBMITTED],
        State.DECLINED,
        _OFFICE,
        relation="place",
        public=True,
    ),
    transition(
        "merge",
        "合并",
        [State.SUBMITTED, State.ACCEPTED],
        State.MERGED,
        _OFFICE,
        relation="place",
        public=True,
    ),
    transition(
        "dispatch",
        "交办",
        [State.SUBMITTED, State.ACCEPTED],
        State.DISPATCHED,
        _OFFICE,
        relation="place",
        public=True,
    ),
    transition(
        "sign", "签收", [State.DISPATCHED], State.SIGNED, _UNIT, relation="owner", public=True
    ),
    transition(
        "return",
        "退回",
        [State.DISPATCHED, State.SIGNED],
        State.ACCEPTED,
        _UNIT,
        relation="owner",
    ),
    transition(
        "progress",
        "办理进展",
        [State.SIGNED, State.IN_PROGRESS],
        State.IN_PROGRESS,
        _UNIT,
        relation="owner",
    ),
    transition(
        "note",
        "备注",
        list(OPEN_STATES | FINISHED_STATES),
        None,
        _STAFF_ALL,
        relation="visible",
    ),
    transition(
        "reply",
        "办结答复",
        [State.SIGNED, State.IN_PROGRESS],
        State.REPLIED,
        _UNIT,
        relation="owner",
        public=True,
    ),
    # The resident rates (no account: the system acts for the code holder, who is
    # checked by cases.services.case_rate); the reopen follows from the rating.
    transition(
        "rate",
        "评价",
        [State.REPLIED],
        State.RATED,
        (),
        relation="place",
        public=True,
        system=True,
    ),
    transition(
        "reopen",
        "重办",
        [State.RATED],
        State.IN_PROGRESS,
        (),
        relation="place",
        public=True,
        system=True,
    ),
    transition(
        "flag",
        "转入督办",
        [State.RATED, State.REPLIED],
        None,
        _OFFICE,
        relation="place",
        public=True,
        system=True,
    ),
    transition(
        "close",
        "销号",
        [State.REPLIED, State.RATED],
        State.CLOSED,
        _OFFICE,
        relation="place",
        public=True,
        system=True,
    ),
    transition(
        "convert",
        "立项转化",
        [State.SUBMITTED, State.ACCEPTED],
        State.ACCEPTED,
        _OFFICE,
        relation="place",
        public=True,
    ),
    # Supervision's reopen contract (supervision/integrations.py): a failed spot check
    # or an unsatisfied return visit sends finished work back to the unit.
    transition(
        "supervision_reopen",
        "督查重办",
        [State.REPLIED, State.RATED, State.CLOSED],
        State.IN_PROGRESS,
        ("office", "inspector"),
        relation="visible",
        public=True,
    ),
)


class Case(TrackedItem):
    WORKFLOW = CASE_WORKFLOW

    tracking_code = models.CharField(
        "查询码", max_length=12, unique=True, default=new_tracking_code
    )
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.REQUEST)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices, default=Channel.WEB)
    title = models.CharField("标题", max_length=200, blank=True)
    text = models.TextField("内容")
    category = models.ForeignKey(
        Category,
        verbose_name="大类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    item = models.ForeignKey(
        Item, verbose_name="小项", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Exact address: PRIVATE (public pages stop at the village).
    address = models.CharField("详细地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    collected_at = models.DateTimeField("收集时间", default=timezone.now)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收集人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_source = models.CharField("外部来源", max_length=32, blank=True)
    external_ref = models.CharField("外部编号", max_length=64, blank=True)
    # One submitted form = one case, however often it is posted (double submit).
    intake_key = models.CharField(max_length=40, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    result = models.TextField("办理结果", blank=True)
    dispatched_at = models.DateTimeField("交办时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    replied_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    flagged_for_supervision = models.BooleanField("转入督办", default=False)

    class Meta:
        verbose_name = "群众诉求"
        verbose_name_plural = "群众诉求"
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_ref"],
                condition=~Q(external_ref=""),
                name="case_external_ref_uniq",
            ),
            models.UniqueConstraint(
                fields=["intake_key"], condition=~Q(intake_key=""), name="case_intake_key_uniq"
            ),
        ]
        # Every list and inbox pages by id descending (keyset) after an equality filter.
        indexes = [
            models.Index(fields=["state", "-id"], name="case_state_idx"),
            # (state, place) exists on PostgreSQL only: migrations/0007_state_place_index.
            models.Index(fields=["owner_unit", "state", "deadline"], name="case_inbox_idx"),
            models.Index(fields=["owner_unit", "-id"], name="case_owner_idx"),
            models.Index(fields=["place", "-id"], name="case_place_idx"),
            models.Index(fields=["category", "-id"], name="case_category_idx"),
            models.Index(fields=["channel", "-id"], name="case_channel_idx"),
            # An office's commonest pairs: without them SQLite reads all of a state's
            # (or a category's) cases for a county's few dozen (state=replied and a
            # category at 1M: 64 -> 2 ms).
            models.Index(fields=["state", "category", "-id"], name="case_state_category_idx"),
            models.Index(fields=["state", "channel", "-id"], name="case_state_channel_idx"),
            models.Index(fields=["collected_at"], name="case_collected_idx"),
            # Figures read a place's or a unit's cases over a period (live counts).
            models.Index(fields=["place", "collected_at"], name="case_place_collected_idx"),
            models.Index(fields=["owner_unit", "collected_at"], name="case_owner_collected_idx"),
            # The nightly jobs read the cases changed since their last run.
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            # Overdue / due-soon counts: covering, so no table lookups per row.
            models.Index(
                fields=["state", "deadline", "place", "owner_unit"], name="case_deadline_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.display_title}"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        # Lists annotate `excerpt` so they need not load the whole text.
        text = getattr(self, "excerpt", None)
        text = (text if text is not None else self.text).strip()
        first = text.splitlines()[0] if text else ""
        return first[:30] + ("…" if len(first) > 30 else "")

    @property
    def clock_running(self) -> bool:
        """Is the unit's deadline running (dispatched, signed, in progress)?"""
        return self.state in WORKING_STATES

    @property
    def place_display(self) -> str:
        """Set by selectors.with_place_names for lists; the node's name otherwise."""
        return getattr(self, "_place_display", "") or self.place.name

    @property
    def is_overdue(self) -> bool:
        return (
            self.state in WORKING_STATES
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )


class CaseContact(models.Model):
    """The requester's contact data: PRIVATE. Masked on public pages (cases/masking.py)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    phone_verified = models.BooleanField("手机已验证", default=False)

    class Meta:
        verbose_name = "诉求人联系方式"
        verbose_name_plural = "诉求人联系方式"
        indexes = [models.Index(fields=["phone"], name="case_contact_phone_idx")]

    def __str__(self) -> str:
        from .masking import mask_name

        return mask_name(self.name)


class PendingSubmission(models.Model):
    """A resident's web submission acknowledged but not yet made a case.

    The public form answers once this one row is committed (durable), and the case,
    its contact, timeline entry and search document are created right after the
    answer has gone out (services.submissions_drain). A worker that dies between
    the two leaves the row here for the next drain: acknowledged is never lost.
    """

    # Every index below is written by each acknowledgement, the busiest write there is:
    # unique by a constraint (no second, pattern-matching index on PostgreSQL), and
    # the case's and the received time's only once the row is filed (partial).
    tracking_code = models.CharField(max_length=12, default=new_tracking_code)
    intake_key = models.CharField(max_length=40, blank=True)
    # The cleaned form (ids, not objects); emptied once the case holds it, so the
    # resident's name and phone are not kept twice.
    form = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Set when a row could not become a case (e.g. its village was removed meanwhile).
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "待登记的网上诉求"
        verbose_name_plural = "待登记的网上诉求"
        constraints = [
            models.UniqueConstraint(fields=["tracking_code"], name="pending_tracking_code_uniq"),
            models.UniqueConstraint(
                fields=["intake_key"], condition=~Q(intake_key=""), name="pending_intake_key_uniq"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(case__isnull=False), name="pending_case_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(case__isnull=True, error=""), name="pending_open_idx"
            ),
            # The catch-up job drops filed rows after a week.
            models.Index(
                fields=["received_at"],
                condition=Q(case__isnull=False),
                name="pending_filed_received_idx",
            ),
        ]
