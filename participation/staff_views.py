"""Staff and volunteer pages: review wishes, dispatch orders, keep the menu, run polls.

Thin: parse, call one service, redirect or render. Every read goes through
orgs.access; DomainErrors become messages on the same page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError, NotFound
from orgs import access
from orgs.models import OrgNode, Role, User
from tracking.models import RatingValue
from tracking.selectors import timeline_for
from tracking.services import allowed_transitions, personal_data_access_log

from . import selectors, services
from .models import MenuItem, MicroWish, Poll, Team, TeamMember, VolunteerOrder


def _run(request: HttpRequest, fn, ok: str, **kwargs) -> bool:
    try:
        fn(actor=request.user, **kwargs)
    except DomainError as e:
        messages.error(request, e.message)
        return False
    messages.success(request, ok)
    return True


# --- micro-wishes ----------------------------------------------------------------------


@login_required
def wishes(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE, Role.GRID_WORKER)
    state = request.GET.get("state", "posted")
    qs = access.scope_tracked(request.user, MicroWish.objects.all())
    counts = {s: qs.filter(state=s).count() for s in MicroWish.WORKFLOW.states}
    page = Paginator(qs.filter(state=state).select_related("place").order_by("-id"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "participation/staff/wishes.html",
        {"page": page, "state": state, "states": MicroWish.WORKFLOW.states, "counts": counts},
    )


@login_required
def wish_new(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE, Role.GRID_WORKER)
    villages = access.visible_nodes(request.user).filter(kind=OrgNode.Kind.VILLAGE).order_by("path")
    if request.method == "POST":
        try:
            wish = services.wish_post(
                actor=request.user,
                village=villages.filter(pk=request.POST.get("village") or 0).first(),
                title=request.POST.get("title", ""),
                text=request.POST.get("text", ""),
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
            )
            messages.success(request, "已代群众发布心愿，待审核")
            return redirect("participation:staff-wish", pk=wish.pk)
        except DomainError as e:
            messages.error(request, e.message)
    return render(
        request,
        "participation/staff/wish_new.html",
        {"villages": villages[:500], "form": request.POST},
    )


@login_required
def wish(request: HttpRequest, pk: int) -> HttpResponse:
    wish = access.access_tracked(request.user, MicroWish.objects.all(), pk)
    if request.method == "POST":
        action, note = request.POST.get("action"), request.POST.get("note", "")
        fns = {
            "approve": (services.wish_approve, "已审核通过，心愿已公开"),
            "reject": (services.wish_reject, "已退回"),
            "confirm": (services.wish_confirm, "已确认圆梦"),
            "release": (services.wish_release, "已取消认领"),
        }
        if action in fns:
            fn, ok = fns[action]
            _run(request, fn, ok, wish=wish, note=note)
        return redirect("participation:staff-wish", pk=pk)
    contact = None
    if request.GET.get("show_contact") and hasattr(wish, "contact"):
        personal_data_access_log(
            actor=request.user, item=wish, fields=["name", "phone", "address"], reason="核实心愿"
        )
        contact = wish.contact
    return render(
        request,
        "participation/staff/wish.html",
        {
            "wish": wish,
            "contact": contact,
            "timeline": timeline_for(wish),
            "actions": [
                t
                for t in allowed_transitions(request.user, wish)
                if t.name in ("approve", "reject", "confirm", "release")
            ],
        },
    )


@login_required
def wish_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Claimant actions from the public wish page: claim, fulfil (with proof), release."""
    if request.method != "POST":
        return redirect("participation:wish", pk=pk)
    wish = access.access_tracked(request.user, MicroWish.objects.all(), pk)
    action = request.POST.get("action")
    if action == "claim":
        _run(request, services.wish_claim, "认领成功，感谢您做圆梦人", wish=wish)
    elif action == "fulfil":
        _run(
            request,
            services.wish_fulfil,
            "已提交圆梦情况，待社区确认",
            wish=wish,
            fulfilment=request.POST.get("fulfilment", ""),
            evidence=request.FILES.getlist("evidence"),
        )
    elif action == "release":
        _run(
            request,
            services.wish_release,
            "已放弃认领",
            wish=wish,
            note=request.POST.get("note", ""),
        )
    return redirect("participation:wish", pk=pk)


# --- volunteer orders ------------------------------------------------------------------


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE, Role.GRID_WORKER)
    state = request.GET.get("state", "ordered")
    qs = access.scope_tracked(request.user, VolunteerOrder.objects.all())
    counts = {s: qs.filter(state=s).count() for s in VolunteerOrder.WORKFLOW.states}
    page = Paginator(
        qs.filter(state=state).select_related("place", "menu_item", "team").order_by("-id"), 30
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/staff/orders.html",
        {
            "page": page,
            "state": state,
            "states": VolunteerOrder.WORKFLOW.states,
            "counts": counts,
            "teams": Team.objects.filter(is_active=True),
            "is_office": request.user.has_role(Role.OFFICE) or request.user.is_superuser,
        },
    )


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.GRID_WORKER, Role.OFFICE)
    villages = access.visible_nodes(request.user).filter(kind=OrgNode.Kind.VILLAGE).order_by("path")
    if request.method == "POST":
        try:
            order = services.order_place(
                actor=request.user,
                menu_item=MenuItem.objects.filter(pk=request.POST.get("menu_item") or 0).first(),
                village=villages.filter(pk=request.POST.get("village") or 0).first(),
                needs=request.POST.get("needs", ""),
                wanted_date=dt.date.fromisoformat(request.POST["wanted_date"])
                if request.POST.get("wanted_date")
                else None,
            )
            messages.success(request, "已点单，等待中心派单")
            return redirect("participation:staff-order", pk=order.pk)
        except (DomainError, ValueError) as e:
            messages.error(request, getattr(e, "message", "日期格式不正确"))
    return render(
        request,
        "participation/staff/order_new.html",
        {"villages": villages[:500], "menu": selectors.menu(), "form": request.POST},
    )


@login_required
def order(request: HttpRequest, pk: int) -> HttpResponse:
    order = access.access_tracked(request.user, VolunteerOrder.objects.all(), pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("participation:staff-order", args=[pk])
    if request.method == "POST":
        action, note = request.POST.get("action"), request.POST.get("note", "")
        if action == "dispatch":
            team = Team.objects.filter(pk=request.POST.get("team") or 0).first()
            _run(request, services.order_dispatch, "已派单", order=order, team=team, note=note)
        elif action == "accept":
            _run(request, services.order_accept, "已接单", order=order, note=note)
        elif action == "decline":
            _run(
                request, services.order_decline, "已拒单，退回中心重新派单", order=order, note=note
            )
        elif action == "serve":
            ids = request.POST.getlist("volunteers")
            people = list(User.objects.filter(pk__in=ids)) if ids else []
            _run(
                request,
                services.order_serve,
                "已记录服务时长",
                order=order,
                hours=request.POST.get("hours", ""),
                attendees=request.POST.get("attendees", ""),
                volunteers=people,
                note=note,
                evidence=request.FILES.getlist("evidence"),
            )
        elif action == "rate":
            _run(
                request,
                services.order_rate,
                "已评价",
                order=order,
                value=request.POST.get("value", ""),
                comment=note,
            )
        return redirect(back)
    contact = None
    if request.GET.get("show_contact") and hasattr(order, "contact"):
        personal_data_access_log(
            actor=request.user, item=order, fields=["name", "phone"], reason="联系点单群众"
        )
        contact = order.contact
    names = {t.name for t in allowed_transitions(request.user, order)}
    members = (
        TeamMember.objects.filter(team_id=order.team_id).select_related("user")
        if order.team_id
        else []
    )
    return render(
        request,
        "participation/staff/order.html",
        {
            "order": order,
            "contact": contact,
            "timeline": timeline_for(order),
            "can": names,
            "teams": Team.objects.filter(is_active=True),
            "members": members,
            "faces": RatingValue.choices,
            "can_rate": "rate" in names
            and order.orderer_kind == VolunteerOrder.Orderer.VILLAGE
            and access.covers(request.user, order.place),
        },
    )


@login_required
def menu_and_teams(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            month = request.POST.get("month") or None
            _run(
                request,
                services.menu_item_save,
                "已加入服务菜单",
                kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                month=dt.date.fromisoformat(month + "-01") if month else None,
                speaker=request.POST.get("speaker", ""),
                default_team=Team.objects.filter(pk=request.POST.get("team") or 0).first(),
            )
        elif action == "withdraw":
            item = MenuItem.objects.filter(pk=request.POST.get("item") or 0).first()
            if item is None:
                raise NotFound()
            _run(request, services.menu_item_withdraw, "已下架", item=item)
        return redirect("participation:staff-menu")
    team = Team.objects.filter(pk=request.GET.get("team") or 0).first()
    return render(
        request,
        "participation/staff/menu.html",
        {
            "items": MenuItem.objects.filter(is_active=True).select_related("default_team"),
            "teams": selectors.team_hours(),
            "team": team,
            "members": selectors.member_hours(team) if team else [],
            "kinds": MenuItem.Kind.choices,
        },
    )


# --- polls --------------------------------------------------------------------------------


def _dt(raw: str) -> dt.datetime | None:
    value = parse_datetime(raw or "")
    if value and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@login_required
def polls(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE)
    if request.method == "POST":
        try:
            poll = services.poll_create(
                actor=request.user,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                starts_at=_dt(request.POST.get("starts_at", "")),
                ends_at=_dt(request.POST.get("ends_at", "")),
            )
            messages.success(request, "已创建比选，请添加选项后开启")
            return redirect("participation:staff-poll", pk=poll.pk)
        except DomainError as e:
            messages.error(request, e.message)
    return render(
        request,
        "participation/staff/polls.html",
        {"polls": Poll.objects.all()[:100], "form": request.POST},
    )


@login_required
def poll(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE)
    poll = Poll.objects.filter(pk=pk).first()
    if poll is None:
        raise NotFound()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "option":
            target = None
            ref = request.POST.get("target", "")
            if ref:
                target = _target(request.user, ref)
            _run(
                request,
                services.poll_option_add,
                "已添加选项",
                poll=poll,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                target=target,
            )
        elif action == "open":
            _run(request, services.poll_open, "比选已开启", poll=poll)
        elif action == "close":
            _run(request, services.poll_close, "投票已截止", poll=poll)
        elif action == "publish":
            _run(
                request,
                services.poll_publish,
                "结果已公布",
                poll=poll,
                outcome=request.POST.get("outcome", ""),
            )
        return redirect("participation:staff-poll", pk=pk)
    return render(
        request,
        "participation/staff/poll.html",
        {"poll": poll, "results": selectors.poll_results(poll), "targets": _targets(request.user)},
    )


def _targets(actor: User) -> list[tuple[str, str]]:
    """Public tracked items an option may point at (commitments once that app is there)."""
    from django.contrib.contenttypes.models import ContentType

    from tracking import registry

    out = []
    for kind in registry.kinds():
        label = kind.model._meta.label_lower
        if not (kind.extra.get("poll_target") or label in selectors.PUBLIC_WHEN_PUBLISHED):
            continue
        ct = ContentType.objects.get_for_model(kind.model)
        qs = access.scope_tracked(actor, kind.model.objects.filter(selectors.public_q(kind.model)))[
            :300
        ]
        out += [(f"{ct.pk}:{obj.pk}", f"{kind.label} · {obj}") for obj in qs]
    return out


def _target(actor: User, ref: str):
    from django.contrib.contenttypes.models import ContentType

    try:
        ct_id, pk = (int(x) for x in ref.split(":"))
        model = ContentType.objects.get_for_id(ct_id).model_class()
    except (ValueError, ContentType.DoesNotExist):
        raise NotFound() from None
    return access.access_tracked(actor, model.objects.all(), pk)


# --- the volunteer's light account ----------------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.VOLUNTEER)
    return render(
        request,
        "participation/staff/me.html",
        {"acct": selectors.volunteer_account(request.user)},
    )
