"""Staff pages: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from orgs import access
from orgs.models import Role
from tracking import services as kernel
from tracking import workdays
from tracking.models import Evidence
from tracking.selectors import timeline_for

from . import forms, ledger, selectors, services
from .models import (
    OPEN_STATES,
    Commitment,
    Kind,
    Programme,
    RectificationProblem,
    ReportKind,
    ReportPhoto,
)

PAGE_CAP = 600


def _is_office(user) -> bool:
    return user.is_superuser or user.has_role(Role.OFFICE)


@login_required
def programmes(request):
    actor = request.user
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=actor, **form.cleaned_data)
        except InvalidInput as e:
            forms.apply_errors(form, e.fields or {"__all__": [e.message]})
        else:
            messages.success(request, f"已建立{programme.name}")
            return redirect("commitments:programme", pk=programme.pk)
    return render(
        request,
        "commitments/programmes.html",
        {
            "rows": selectors.programmes_for(actor),
            "is_office": _is_office(actor),
            "form": form,
        },
    )


def _filtered(request, qs):
    f = {k: request.GET.get(k, "") for k in ("state", "kind", "unit", "q", "flagship")}
    qs = selectors.filtered_commitments(
        qs,
        state=f["state"],
        kind=f["kind"],
        unit=f["unit"],
        q=f["q"],
        flagship=f["flagship"] == "1",
    )
    return qs, f


@login_required
def programme_detail(request, pk):
    actor = request.user
    programme = selectors.programme_get(pk)
    base = selectors.commitments_for(actor, programme)
    qs, f = _filtered(request, base)
    view = request.GET.get("view", "aspect")
    ctx = {
        "programme": programme,
        "f": f,
        "view": view,
        "active": "unit" if view == "unit" else "list",
        "counts": selectors.state_counts(base),
        "total": base.count(),
        "states": Commitment.WORKFLOW.choices(),
        "kinds": Kind.choices,
        "units": selectors.per_unit(base),
        "is_office": _is_office(actor),
        "cadence_form": forms.CadenceForm(
            initial={
                "monthly_enabled": programme.monthly_enabled,
                "monthly_due_day": programme.monthly_due_day,
                "weekly_enabled": programme.weekly_enabled,
                "weekly_due_weekday": programme.weekly_due_weekday,
                "holiday_rule": programme.holiday_rule,
            }
        ),
    }
    if view == "unit":
        ctx["unit_rows"] = selectors.per_unit(qs)
    else:
        # A page shows at most PAGE_CAP items; bigger lists are narrowed with the filters.
        ctx["shown"] = qs.count()
        ctx["capped"] = ctx["shown"] > PAGE_CAP
        ctx["groups"] = selectors.grouped_by_aspect(list(qs.order_by("seq", "id")[:PAGE_CAP]))
    return render(request, "commitments/programme.html", ctx)


@login_required
@require_POST
def programme_cadence(request, pk):
    programme = selectors.programme_get(pk)
    form = forms.CadenceForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "报送周期设置有误：" + "；".join(m for e in form.errors.values() for m in e)
        )
    else:
        services.programme_set_cadence(actor=request.user, programme=programme, **form.cleaned_data)
        messages.success(request, "报送周期已保存，自下一期起生效")
    return redirect("commitments:programme", pk=programme.pk)


@login_required
def board(request, pk):
    programme = selectors.programme_get(pk)
    base = selectors.commitments_for(request.user, programme).exclude(kind=Kind.RECTIFICATION)
    qs, f = _filtered(request, base)
    return render(
        request,
        "commitments/board.html",
        {
            "programme": programme,
            "active": "board",
            "items": list(qs.order_by("-is_flagship", "seq")[:PAGE_CAP]),
            "capped": qs.count() > PAGE_CAP,
            "f": f,
            "counts": selectors.state_counts(base),
            "states": Commitment.WORKFLOW.choices(),
            "units": selectors.per_unit(base),
        },
    )


@login_required
def rectification(request, pk):
    actor = request.user
    programme = selectors.programme_get(pk)
    tab = request.GET.get("tab", "problems")
    form = forms.ProblemForm(request.POST or None, units=_form_units(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_create(actor=actor, programme=programme, **form.cleaned_data)
        except InvalidInput as e:
            forms.apply_errors(form, e.fields or {"__all__": [e.message]})
        else:
            messages.success(request, "已添加检视问题，可继续为其制定整改措施")
            return redirect("commitments:rectification", pk=programme.pk)
    data = selectors.rectification_for(actor, programme)
    return render(
        request,
        "commitments/rectification.html",
        {
            "programme": programme,
            "tab": tab,
            "active": "rect",
            "form": form,
            "is_office": _is_office(actor),
            **data,
        },
    )


@login_required
def export(request, pk):
    programme = selectors.programme_get(pk)
    data = ledger.ledger_export(actor=request.user, programme=programme)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from urllib.parse import quote

    name = quote(f"{programme.name}台账{timezone.localdate():%Y%m%d}.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@login_required
def item_list(request):
    actor = request.user
    qs, f = _filtered(request, selectors.commitments_for(actor))
    page = Paginator(qs.order_by("programme", "seq"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "commitments/item_list.html",
        {
            "page": page,
            "f": f,
            "states": Commitment.WORKFLOW.choices(),
            "kinds": Kind.choices,
            "query": "&".join(f"{k}={v}" for k, v in f.items() if v),
        },
    )


@login_required
def detail(request, pk):
    actor = request.user
    item = selectors.commitment_get(actor, pk)
    actions = kernel.allowed_transitions(actor, item)
    actions = [t for t in actions if t.name != "progress"]
    if item.claimed_by_id == actor.pk:
        actions = [t for t in actions if t.name != "accept"]
    reports = item.reports.order_by("-due_date")[:12]
    return render(
        request,
        "commitments/detail.html",
        {
            "item": item,
            "timeline": timeline_for(item),
            "actions": actions,
            "reports": reports,
            "co_units": list(item.co_units.all()),
            "source_cases": _case_links(item),
            "deadline_label": workdays.deadline_label(item.deadline)
            if item.state in OPEN_STATES
            else "",
            "fallback": workdays.fallback_notice(item.deadline),
            "complete_form": forms.CompleteForm(),
            "can_edit": _is_office(actor)
            and item.state not in ("accepted", "closed")
            and access.actor_relation_ok(actor, item, "place"),
        },
    )


def _case_links(item: Commitment) -> list[tuple[str, str]]:
    """(label, url) for the cases the item came from; plain ids if cases is not installed."""
    from django.apps import apps
    from django.urls import NoReverseMatch

    ids = list(item.source_cases.values_list("case_id", flat=True))
    codes: dict[int, str] = {}
    if apps.is_installed("cases") and ids:
        model = apps.get_model("cases", "Case")
        codes = dict(model.objects.filter(pk__in=ids).values_list("pk", "tracking_code"))
    out = []
    for case_id in ids:
        try:
            url = reverse("cases:detail", args=[case_id])
        except NoReverseMatch:
            url = ""
        out.append((codes.get(case_id, f"#{case_id}"), url))
    return out


@login_required
@require_POST
def act(request, pk, name):
    actor = request.user
    item = selectors.commitment_get(actor, pk)
    note = request.POST.get("note", "")
    try:
        if name == "publish":
            services.commitment_publish(actor=actor, commitment=item, note=note)
        elif name == "start":
            services.commitment_start(actor=actor, commitment=item, note=note)
        elif name == "complete":
            form = forms.CompleteForm(request.POST)
            form.is_valid()
            services.commitment_complete(
                actor=actor,
                commitment=item,
                note=note,
                evidence=request.FILES.getlist("evidence"),
                done_quantity=form.cleaned_data.get("done_quantity"),
            )
        elif name == "accept":
            services.commitment_accept(actor=actor, commitment=item, note=note)
        elif name == "reject":
            services.commitment_reject(actor=actor, commitment=item, note=note)
        elif name == "close":
            services.commitment_close(actor=actor, commitment=item, note=note)
        elif name == "supervision_reopen":
            services.commitment_reopen(actor=actor, commitment=item, note=note)
        else:
            raise NotFound()
    except (InvalidInput, PermissionDenied) as e:
        messages.error(request, e.message)
        return redirect("commitments:detail", pk=item.pk)
    label = Commitment.WORKFLOW.transitions[name].label
    messages.success(request, f"已{label}")
    return redirect("commitments:detail", pk=item.pk)


def _form_units(actor):
    return selectors.unit_choices(actor).order_by("kind", "path")


@login_required
def create(request, pk):
    actor = request.user
    access.require_role(actor, Role.OFFICE)
    programme = selectors.programme_get(pk)
    problems = RectificationProblem.objects.filter(programme=programme)
    form = forms.CommitmentForm(
        request.POST or None,
        units=_form_units(actor),
        problems=problems,
        initial={
            "kind": request.GET.get("kind", Kind.PROJECT),
            "problem": request.GET.get("problem") or None,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.commitment_create(
                actor=actor, programme=programme, data=form.cleaned_data
            )
        except InvalidInput as e:
            forms.apply_errors(form, e.fields or {"__all__": [e.message]})
        else:
            messages.success(request, "已新建项目（草稿），公布后责任单位即可推进")
            return redirect("commitments:detail", pk=item.pk)
    return render(
        request, "commitments/form.html", {"form": form, "programme": programme, "item": None}
    )


@login_required
def edit(request, pk):
    actor = request.user
    item = selectors.commitment_get(actor, pk)
    problems = RectificationProblem.objects.filter(programme=item.programme)
    initial = {f: getattr(item, f) for f in services.FIELDS if f != "co_units"}
    initial["co_units"] = list(item.co_units.all())
    form = forms.CommitmentForm(
        request.POST or None, units=_form_units(actor), problems=problems, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_update(actor=actor, commitment=item, data=form.cleaned_data)
        except InvalidInput as e:
            forms.apply_errors(form, e.fields or {"__all__": [e.message]})
        else:
            messages.success(request, "已保存")
            return redirect("commitments:detail", pk=item.pk)
    return render(
        request,
        "commitments/form.html",
        {"form": form, "programme": item.programme, "item": item},
    )


@login_required
def evidence(request, pk, evidence_id):
    item = selectors.commitment_get(request.user, pk)
    ev = (
        Evidence.objects.filter(
            pk=evidence_id, entry__item_type=Commitment.content_type(), entry__item_id=item.pk
        )
        .select_related("entry")
        .first()
    )
    if ev is None:
        raise NotFound()
    return FileResponse(ev.file.open("rb"), filename=ev.original_name)


# --- reports ------------------------------------------------------------------


@login_required
def reports_due(request):
    return render(request, "commitments/reports_due.html", selectors.reports_due_for(request.user))


@login_required
def report_detail(request, pk):
    actor = request.user
    report = services.report_access(actor, pk)
    form = forms.ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_submit(
                actor=actor,
                report=report,
                photos=request.FILES.getlist("photos"),
                **form.cleaned_data,
            )
        except InvalidInput as e:
            forms.apply_errors(form, e.fields or {"__all__": [e.message]})
        except DomainError as e:
            messages.error(request, e.message)
            return redirect("commitments:report", pk=report.pk)
        else:
            messages.success(request, "已报送，待单位负责人审核")
            return redirect("commitments:report", pk=report.pk)
    can_file = (
        report.is_open
        and (actor.has_role(Role.UNIT_HANDLER, Role.UNIT_HEAD) or actor.is_superuser)
        and access.covers(actor, report.unit)
        and (
            report.commitment is None
            or report.commitment.state not in ("draft", "accepted", "closed")
        )
    )
    can_approve = (
        report.status in ("submitted", "late")
        and (actor.has_role(Role.UNIT_HEAD) or actor.is_superuser)
        and access.covers(actor, report.unit)
    )
    return render(
        request,
        "commitments/report.html",
        {
            "report": report,
            "form": form,
            "can_file": can_file,
            "can_approve": can_approve,
            "photos": list(report.photos.all()),
            "weekly": report.kind == ReportKind.WEEKLY,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def report_decide(request, pk, decision):
    actor = request.user
    report = services.report_access(actor, pk)
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            services.report_approve(actor=actor, report=report, note=note)
            messages.success(request, "已审核通过")
        elif decision == "return":
            services.report_return(actor=actor, report=report, note=note)
            messages.success(request, "已退回，经办人可修改后重新报送")
        else:
            raise NotFound()
    except (InvalidInput, PermissionDenied) as e:
        messages.error(request, e.message)
    return redirect("commitments:report", pk=report.pk)


@login_required
def report_photo(request, pk):
    photo = ReportPhoto.objects.filter(pk=pk).select_related("report").first()
    if photo is None:
        raise NotFound()
    services.report_access(request.user, photo.report_id)
    return FileResponse(photo.file.open("rb"), filename=photo.original_name)


@login_required
def punctuality(request):
    actor = request.user
    access.require_role(actor, Role.OFFICE, Role.INSPECTOR)
    programme = None
    if request.GET.get("programme", "").isdigit():
        programme = selectors.programme_get(request.GET["programme"])
    rows = selectors.punctuality(actor, programme)
    highlights = selectors.recent_highlights(actor, programme)
    totals = {k: sum(r[k] for r in rows) for k in ("due", "on_time", "late", "missing", "pending")}
    settled = totals["due"] - totals["pending"]
    totals["rate"] = round(totals["on_time"] * 100 / settled, 1) if settled else None
    return render(
        request,
        "commitments/punctuality.html",
        {
            "rows": rows,
            "totals": totals,
            "programme": programme,
            "programmes": Programme.objects.all(),
            "highlights": highlights,
        },
    )


# --- ledger import ----------------------------------------------------------------


def _progress_key(actor, token: str) -> str:
    # Per user, so one user cannot read another's import progress.
    if not token.isalnum() or len(token) > 40:
        return ""
    return f"ledger-import:{actor.pk}:{token}"


@login_required
def import_progress(request):
    key = _progress_key(request.user, request.GET.get("token", ""))
    empty = {"stage": "", "done": 0, "total": 0}
    return JsonResponse((cache.get(key) if key else None) or empty)


@login_required
def import_ledger(request):
    actor = request.user
    access.require_role(actor, Role.OFFICE)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    programmes_qs = Programme.objects.all()
    result = None
    programme = None
    if request.method == "POST":
        programme = programmes_qs.filter(pk=request.POST.get("programme") or 0).first()
        if programme is None:
            form.add_error(None, "请选择项目清单")
        elif form.is_valid():
            key = _progress_key(actor, request.POST.get("token", ""))

            def progress(stage: str, done: int, total: int) -> None:
                if key:
                    cache.set(key, {"stage": stage, "done": done, "total": total}, 600)

            try:
                result = ledger.ledger_import(
                    actor=actor,
                    programme=programme,
                    file=form.cleaned_data["file"],
                    partial=form.cleaned_data["partial"],
                    progress=progress,
                )
            except InvalidInput as e:
                form.add_error("file", e.message)
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            return JsonResponse(
                {
                    "ok": bool(result and result.saved),
                    "summary": result.summary() if result else "",
                    "errors": [str(e) for e in (result.errors if result else [])][:500]
                    + [m for errs in form.errors.values() for m in errs],
                    "redirect": reverse("commitments:programme", args=[programme.pk])
                    if programme
                    else "",
                }
            )
    return render(
        request,
        "commitments/import.html",
        {"form": form, "programmes": programmes_qs, "result": result, "programme": programme},
    )
