"""Supervision pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import InvalidInput, NotFound, WorkflowError
from orgs import access
from orgs.models import Role
from tracking import registry
from tracking.models import EscalationLevel, SupervisionStatus
from tracking.selectors import timeline_for
from tracking.workdays import deadline_label

from . import dossier, hooks, rules, selectors, services
from .models import Notice, Notification, Referral, ReturnVisit, SpotCheck, SpotCheckItem


@login_required
def board(request):
    actor = request.user
    data = selectors.board(actor)
    status = request.GET.get("status", "")
    level = request.GET.get("level", "")
    unit = request.GET.get("unit", "")
    rows = selectors.items_on_board(actor, status=status, level=level, unit=unit)
    for r in rows:
        r["deadline_label"] = deadline_label(r["item"].deadline)
    return render(
        request,
        "supervision/board.html",
        {
            **data,
            "rows": rows,
            "status": status,
            "level": level,
            "unit": unit,
            "status_label": dict(SupervisionStatus.choices).get(status, ""),
        },
    )


@login_required
def item(request, kind_key: str, pk: int):
    actor = request.user
    kind, obj = services.item_for(actor, kind_key, pk)
    can_escalate = access.sees_everything(actor) or actor.has_role(*services.ESCALATORS)
    return render(
        request,
        "supervision/item.html",
        {
            "kind": kind,
            "key": kind_key,
            "item": obj,
            "title": hooks.title(kind, obj),
            "computed": rules.status_of(kind, obj),
            "deadline_label": deadline_label(obj.deadline),
            "timeline": timeline_for(obj),
            "records": selectors.item_records(kind, obj),
            "can_escalate": can_escalate and obj.state in kind.open_states,
            "can_deescalate": (access.sees_everything(actor) or actor.has_role(Role.OFFICE))
            and obj.escalation_level > 0,
            "higher_levels": [
                (lv, label) for lv, label in EscalationLevel.choices if lv > obj.escalation_level
            ],
            "lower_levels": [
                (lv, label) for lv, label in EscalationLevel.choices if lv < obj.escalation_level
            ],
            "detail_url": hooks.detail_url(kind, obj),
            "errors": {},
        },
    )


@login_required
@require_POST
def item_escalate(request, kind_key: str, pk: int):
    try:
        services.item_escalate(
            actor=request.user,
            kind_key=kind_key,
            item_id=pk,
            level=request.POST.get("level"),
            reason=request.POST.get("reason", ""),
        )
    except (InvalidInput, WorkflowError) as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "已升级督办")
    return redirect("supervision:item", kind_key, pk)


@login_required
@require_POST
def item_deescalate(request, kind_key: str, pk: int):
    try:
        services.item_deescalate(
            actor=request.user,
            kind_key=kind_key,
            item_id=pk,
            level=request.POST.get("level", "0"),
            reason=request.POST.get("reason", ""),
        )
    except (InvalidInput, WorkflowError) as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "已调整督办级别")
    return redirect("supervision:item", kind_key, pk)


# --- notices ---------------------------------------------------------------------------------


@login_required
def notices(request):
    status = request.GET.get("status", "open")
    qs = selectors.notices_for(request.user)
    if status in Notice.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "supervision/notices.html",
        {
            "notices": qs.order_by("answer_due", "id")[:200],
            "status": status,
            "statuses": Notice.Status.choices,
        },
    )


@login_required
def notice_detail(request, pk: int):
    actor = request.user
    try:
        notice = selectors.notices_for(actor).get(pk=pk)
    except Notice.DoesNotExist:
        raise NotFound() from None
    errors: dict = {}
    if request.method == "POST":
        try:
            services.notice_answer(actor=actor, notice_id=pk, answer=request.POST.get("answer", ""))
        except InvalidInput as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, "书面答复已提交")
            return redirect("supervision:notice", pk)
    model = notice.item_type.model_class()
    kind = registry.kind_for(model)
    obj = notice.item
    return render(
        request,
        "supervision/notice.html",
        {
            "notice": notice,
            "kind": kind,
            "key": hooks.key(kind),
            "item": obj,
            "title": hooks.title(kind, obj) if obj else "",
            "can_answer": notice.status == Notice.Status.OPEN
            and actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD)
            and access.covers(actor, notice.unit),
            "errors": errors,
            "answer": request.POST.get("answer", ""),
        },
    )


# --- referrals ---------------------------------------------------------------------------------


@login_required
def referrals(request):
    rows = []
    for r in selectors.referrals_for(request.user).order_by("-id")[:200]:
        kind = registry.kind_for(r.item_type.model_class())
        rows.append({"r": r, "kind": kind, "title": hooks.title(kind, r.item) if r.item else ""})
    return render(request, "supervision/referrals.html", {"rows": rows})


@login_required
def referral_dossier(request, pk: int):
    qs = selectors.referrals_for(request.user)
    try:
        referral = qs.get(pk=pk)
    except Referral.DoesNotExist:
        raise NotFound() from None
    body = dossier.build(referral)
    resp = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    resp["Content-Disposition"] = f'attachment; filename="referral-{referral.pk}.docx"'
    return resp


# --- notifications ---------------------------------------------------------------------------------


@login_required
def notifications(request):
    if request.method == "POST":
        services.notification_read(actor=request.user)
        return redirect("supervision:notifications")
    rows = Notification.objects.filter(recipient=request.user).order_by("-id")[:100]
    return render(request, "supervision/notifications.html", {"rows": rows})


@login_required
def notification_open(request, pk: int):
    services.notification_read(actor=request.user, notification_id=pk)
    n = Notification.objects.get(pk=pk, recipient=request.user)
    return redirect(n.url or "supervision:notifications")


# --- inspection groups ----------------------------------------------------------------------------


@login_required
def groups(request):
    return render(
        request,
        "supervision/groups.html",
        {"groups": selectors.groups_for(request.user).prefetch_related("members", "nodes")},
    )


@login_required
def group_detail(request, pk: int):
    actor = request.user
    group = services.group_for(actor, pk)
    errors: dict = {}
    if request.method == "POST":
        try:
            check = services.spot_check_draw(
                actor=actor,
                group_id=pk,
                per_unit=request.POST.get("per_unit", ""),
                seed=request.POST.get("seed", ""),
            )
        except InvalidInput as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, f"已完成随机抽查，随机种子：{check.seed}")
            return redirect("supervision:check", check.pk)
    return render(
        request,
        "supervision/group.html",
        {
            "group": group,
            "members": group.members.all(),
            "nodes": group.nodes.all(),
            "checks": group.checks.all()[:20],
            "visits": ReturnVisit.objects.filter(group=group).select_related("visited_by")[:20],
            "errors": errors,
        },
    )


@login_required
def check_detail(request, pk: int):
    actor = request.user
    try:
        check = SpotCheck.objects.select_related("group").get(
            pk=pk, group__in=selectors.groups_for(actor)
        )
    except SpotCheck.DoesNotExist:
        raise NotFound() from None
    errors: dict = {}
    if request.method == "POST":
        try:
            services.spot_check_record(
                actor=actor,
                check_item_id=request.POST.get("row"),
                result=request.POST.get("result", ""),
                finding=request.POST.get("finding", ""),
            )
        except (InvalidInput, WorkflowError) as e:
            errors = {"row": request.POST.get("row"), **e.fields}
            messages.error(request, e.message)
        else:
            messages.success(request, "核查结果已记录")
            return redirect("supervision:check", pk)
    rows = []
    for row in check.items.select_related("unit", "item_type"):
        kind = registry.kind_for(row.item_type.model_class())
        obj = row.item
        rows.append(
            {
                "row": row,
                "kind": kind,
                "key": hooks.key(kind),
                "title": hooks.title(kind, obj) if obj else "（已删除）",
                "item": obj,
            }
        )
    replay = services.spot_check_replay(check)
    drawn: dict[int, list] = {}
    for row in check.items.all():
        drawn.setdefault(row.unit_id, []).append(
            [row.item_type.model_class()._meta.label_lower, row.item_id]
        )
    reproducible = all(
        [list(x) for x in replay.get(uid, [])] == sorted_by_pos
        for uid, sorted_by_pos in drawn.items()
    )
    population = {int(k): len(v) for k, v in check.population.items()}
    return render(
        request,
        "supervision/check.html",
        {
            "check": check,
            "rows": rows,
            "errors": errors,
            "reproducible": reproducible,
            "population_total": sum(population.values()),
            "results": [
                (SpotCheckItem.Result.PASSED, "合格"),
                (SpotCheckItem.Result.FAILED, "不合格"),
            ],
        },
    )


@login_required
def call_list(request, pk: int):
    actor = request.user
    group = services.group_for(actor, pk)
    return render(
        request,
        "supervision/call_list.html",
        {"group": group, "rows": selectors.call_list(actor, group)},
    )


@login_required
def visit(request, pk: int, kind_key: str, item_id: int):
    actor = request.user
    group = services.group_for(actor, pk)
    kind, obj = services.item_for(actor, kind_key, item_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            services.return_visit_record(
                actor=actor,
                kind_key=kind_key,
                item_id=item_id,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
                group_id=group.pk,
            )
        except (InvalidInput, WorkflowError) as e:
            errors = e.fields
            messages.error(request, e.message)
        else:
            messages.success(request, "回访结果已记录")
            return redirect("supervision:call_list", group.pk)
    contact = services.return_visit_contact(actor=actor, kind_key=kind_key, item_id=item_id)
    return render(
        request,
        "supervision/visit.html",
        {
            "group": group,
            "kind": kind,
            "item": obj,
            "key": kind_key,
            "title": hooks.title(kind, obj),
            "contact": contact,
            "outcomes": ReturnVisit.Outcome.choices,
            "errors": errors,
            "note": request.POST.get("note", ""),
            "timeline": timeline_for(obj),
        },
    )
