"""Shared reads for the public pages, the staff pages and the volunteer account."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Sum

from orgs.models import OrgNode, User
from tracking import registry

from .models import MenuItem, MicroWish, Poll, ServiceHours, Team, TeamMember, VolunteerOrder

# Public tabs of the wish list: tab -> states shown.
WISH_TABS = {
    "open": ("approved",),
    "claimed": ("claimed",),
    "fulfilled": ("fulfilled", "confirmed"),
}
WISH_TAB_LABELS = {"open": "待认领", "claimed": "已认领", "fulfilled": "已圆梦"}


# Commitments are public once published (their workflow has no separate "make public"
# step); every other kind says so with TrackedItem.is_public.
PUBLIC_WHEN_PUBLISHED = {"commitments.commitment"}


def public_q(model) -> Q:
    if model._meta.label_lower in PUBLIC_WHEN_PUBLISHED:
        return Q(is_public=True) | ~Q(state="draft")
    return Q(is_public=True)


def is_public(item) -> bool:
    return type(item).objects.filter(public_q(type(item)), pk=item.pk).exists()


def public_wishes(tab: str = "open", town: OrgNode | None = None) -> QuerySet[MicroWish]:
    qs = MicroWish.objects.filter(is_public=True, state__in=WISH_TABS.get(tab, WISH_TABS["open"]))
    if town is not None:
        qs = qs.filter(place__path__startswith=town.path)
    return qs.select_related("place").order_by("-state_changed_at", "-id")


def wish_counts() -> dict[str, int]:
    rows = dict(
        MicroWish.objects.filter(is_public=True)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {tab: sum(rows.get(s, 0) for s in states) for tab, states in WISH_TABS.items()}


def public_polls() -> QuerySet[Poll]:
    return Poll.objects.exclude(status=Poll.Status.DRAFT).order_by("-starts_at", "-id")


def poll_results(poll: Poll) -> list[dict]:
    options = list(poll.options.all())
    total = sum(o.votes for o in options) or 0
    top = max((o.votes for o in options), default=0)
    return [
        {
            "option": o,
            "votes": o.votes,
            "percent": round(o.votes * 100 / total, 1) if total else 0,
            "leading": bool(top) and o.votes == top,
            "url": public_url(o.target) if o.target_id else "",
        }
        for o in options
    ]


def menu(kind: str | None = None) -> QuerySet[MenuItem]:
    qs = MenuItem.objects.filter(is_active=True).select_related("default_team")
    return qs.filter(kind=kind) if kind else qs


def team_hours() -> list[dict]:
    """Per team: members, finished orders, hours (sum of every member's hours)."""
    hours = dict(
        ServiceHours.objects.values_list("team").annotate(h=Sum("hours")).values_list("team", "h")
    )
    orders = dict(
        VolunteerOrder.objects.filter(state__in=("served", "rated"))
        .values_list("team")
        .annotate(n=Count("id"))
        .values_list("team", "n")
    )
    teams = Team.objects.filter(is_active=True).annotate(n_members=Count("members"))
    return [
        {
            "team": t,
            "members": t.n_members,
            "orders": orders.get(t.pk, 0),
            "hours": hours.get(t.pk) or Decimal(0),
        }
        for t in teams
    ]


def member_hours(team: Team) -> list[dict]:
    rows = dict(
        ServiceHours.objects.filter(team=team)
        .values_list("volunteer")
        .annotate(h=Sum("hours"))
        .values_list("volunteer", "h")
    )
    return [
        {"member": m, "hours": rows.get(m.user_id) or Decimal(0)}
        for m in TeamMember.objects.filter(team=team).select_related("user")
    ]


def volunteer_account(user: User) -> dict:
    """The light account of a party member / volunteer."""
    team_ids = list(TeamMember.objects.filter(user=user).values_list("team_id", flat=True))
    orders = (
        VolunteerOrder.objects.filter(team_id__in=team_ids)
        .select_related("menu_item", "place", "team")
        .order_by("-state_changed_at")
    )
    return {
        "teams": Team.objects.filter(pk__in=team_ids),
        "wishes": MicroWish.objects.filter(claimant=user)
        .select_related("place")
        .order_by("-claimed_at"),
        "orders_todo": orders.filter(state__in=("dispatched", "accepted"))[:50],
        "orders_done": orders.filter(state__in=("served", "rated"))[:20],
        "hours": ServiceHours.objects.filter(volunteer=user).aggregate(h=Sum("hours"))["h"]
        or Decimal(0),
        "hours_count": ServiceHours.objects.filter(volunteer=user).count(),
    }


# --- the rating wall -----------------------------------------------------------


# The wall shows the public's items: projects and wishes. A resident's own case is
# rated by that resident through the cases app, not by the whole county.
WALL_KINDS = ("commitments.commitment", "participation.microwish")


def wall_kinds() -> list:
    labels = getattr(settings, "PARTICIPATION_WALL_KINDS", WALL_KINDS)
    out = []
    for kind in registry.kinds():
        label = kind.model._meta.label_lower
        if labels is not None and label not in labels:
            continue
        if kind.extra.get("wall") is False:
            continue
        out.append(kind)
    return out


def _finished(kind) -> QuerySet:
    return kind.model.objects.filter(public_q(kind.model), state__in=kind.finished_states)


PUBLIC_URLS = {
    "participation.microwish": "participation:wish",
    "commitments.commitment": "participation:commitment",
}


def public_url(item) -> str:
    from django.urls import reverse

    name = PUBLIC_URLS.get(type(item)._meta.label_lower)
    return reverse(name, args=[item.pk]) if name else ""


def wall_items(limit: int = 60, kind_label: str = "") -> list[dict]:
    """Finished public items with their three faces, most rated first."""
    rows = []
    for kind in wall_kinds():
        if kind_label and kind.model._meta.model_name != kind_label:
            continue
        qs = _finished(kind).select_related("place", "owner_unit")
        qs = qs.annotate(
            n=models_sum("rating_satisfied", "rating_neutral", "rating_unsatisfied")
        ).order_by("-n", "-state_changed_at")[:limit]
        ct = ContentType.objects.get_for_model(kind.model)
        for item in qs:
            rows.append(
                {
                    "item": item,
                    "kind": kind,
                    "ct": ct.pk,
                    "title": str(item),
                    "url": public_url(item),
                }
            )
    rows.sort(key=lambda r: -r["item"].n)
    return rows[:limit]


def models_sum(*fields: str):
    from django.db.models import F

    expr = F(fields[0])
    for f in fields[1:]:
        expr = expr + F(f)
    return expr


def wall_units() -> list[dict]:
    """Per unit: the three faces summed over its finished public items."""
    totals: dict[int, dict] = defaultdict(lambda: {"s": 0, "n": 0, "u": 0, "items": 0})
    for kind in wall_kinds():
        agg = (
            _finished(kind)
            .exclude(owner_unit=None)
            .values("owner_unit")
            .annotate(
                s=Sum("rating_satisfied"),
                n=Sum("rating_neutral"),
                u=Sum("rating_unsatisfied"),
                items=Count("id"),
            )
        )
        for row in agg:
            t = totals[row["owner_unit"]]
            for k in ("s", "n", "u", "items"):
                t[k] += row[k] or 0
    units = OrgNode.objects.in_bulk(list(totals))
    out = []
    for pk, t in totals.items():
        rated = t["s"] + t["n"] + t["u"]
        out.append(
            {
                "unit": units[pk],
                **t,
                "rated": rated,
                "rate": round(t["s"] * 100 / rated, 1) if rated else None,
            }
        )
    out.sort(key=lambda r: (-(r["rate"] or -1), -r["rated"]))
    return out


def pending_panels(actor: User) -> list[dict]:
    """Staff home tiles: what waits for this actor in participation."""
    from django.urls import reverse

    from orgs import access
    from orgs.models import Role

    out: list[dict] = []
    if actor.has_role(Role.OFFICE, Role.GRID_WORKER) or actor.is_superuser:
        wishes = access.scope_tracked(actor, MicroWish.objects.all())
        url = reverse("participation:staff-wishes")
        out.append(
            {"title": "待审核微心愿", "count": wishes.filter(state="posted").count(), "url": url}
        )
        out.append(
            {
                "title": "待确认圆梦",
                "count": wishes.filter(state="fulfilled").count(),
                "url": url + "?state=fulfilled",
            }
        )
    if actor.has_role(Role.OFFICE) or actor.is_superuser:
        orders = access.scope_tracked(actor, VolunteerOrder.objects.all())
        out.append(
            {
                "title": "待派志愿服务单",
                "count": orders.filter(state__in=("ordered", "declined")).count(),
                "url": reverse("participation:staff-orders"),
                "tone": "warn",
            }
        )
    if actor.has_role(Role.VOLUNTEER):
        acct = volunteer_account(actor)
        out.append(
            {
                "title": "待接/待服务订单",
                "count": len(acct["orders_todo"]),
                "url": reverse("participation:me"),
            }
        )
    return out
