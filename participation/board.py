"""晒清单、比项目: the public board of commitments, each commitment's public page,
case results (masked) and each unit's public figures.

Reads the commitments and cases apps when they are installed (imports guarded, so
participation works without them). Public means: a commitment past its draft, a
case reply that staff made public; nothing of a requester is ever shown.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.errors import NotFound
from orgs import access
from orgs.models import OrgNode
from tracking.models import EscalationLevel
from tracking.selectors import timeline_for

from . import selectors
from .masking import scrub_text

SUPERVISED = EscalationLevel.MEDIA  # 媒体曝光 and above: "督办中" on the public board


def commitment_model():
    try:
        from commitments.models import Commitment
    except ImportError:
        return None
    return Commitment


def case_model():
    try:
        from cases.models import Case
    except ImportError:
        return None
    return Case


def public_commitments() -> QuerySet:
    model = commitment_model()
    if model is None:
        return None
    return model.objects.exclude(state="draft").select_related(
        "owner_unit", "category", "programme", "place"
    )


def _town_q(town: OrgNode) -> Q:
    return access.subtree_q(town, "place") | access.subtree_q(town, "owner_unit")


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


STATUS_FILTERS = {
    "published": "已公布",
    "in_progress": "推进中",
    "completed": "已完成",
    "accepted": "已验收",
    "closed": "已销号",
    "supervised": "督办中",
}


def board_page(request: HttpRequest) -> HttpResponse:
    qs = public_commitments()
    ctx: dict = {
        "wish_counts": selectors.wish_counts(),
        "polls": selectors.public_polls().filter(status="open")[:2],
        "towns": OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("path"),
        "statuses": STATUS_FILTERS,
        "f": {k: request.GET.get(k, "") for k in ("q", "town", "category", "status")},
        "case_results": case_model() is not None,
    }
    if qs is None:
        return render(request, "participation/board.html", ctx)
    from taxonomy.models import Category

    ctx["categories"] = Category.objects.filter(
        pk__in=qs.exclude(category=None).values("category")
    ).order_by("aspect__order", "order")
    totals = qs.aggregate(
        n=Count("id"),
        running=Count("id", filter=Q(state__in=("published", "in_progress"))),
        done=Count("id", filter=Q(state__in=("completed", "accepted", "closed"))),
        supervised=Count("id", filter=Q(escalation_level__gte=SUPERVISED)),
        avg=Avg("progress_percent"),
    )
    ctx["totals"] = totals
    town = OrgNode.objects.filter(pk=_int(ctx["f"]["town"]) or 0, kind="town").first()
    if town:
        qs = qs.filter(_town_q(town))
    if cat := _int(ctx["f"]["category"]):
        qs = qs.filter(category_id=cat)
    status = ctx["f"]["status"]
    if status == "supervised":
        qs = qs.filter(escalation_level__gte=SUPERVISED)
    elif status in STATUS_FILTERS:
        qs = qs.filter(state=status)
    if q := ctx["f"]["q"].strip()[:50]:
        qs = qs.filter(title__icontains=q)
    page = Paginator(qs.order_by("-is_flagship", "programme", "seq", "id"), 20).get_page(
        request.GET.get("page")
    )
    thumbs = _thumbnails([c.pk for c in page])
    for c in page:
        c.thumb = thumbs.get(c.pk)
        c.supervised = c.escalation_level >= SUPERVISED
    ctx["page"] = page
    ctx["query"] = "&".join(f"{k}={v}" for k, v in ctx["f"].items() if v)
    return render(request, "participation/board.html", ctx)


def _thumbnails(ids: list[int]) -> dict[int, str]:
    """One photo per commitment for the list: the latest public photo, if any."""
    photos = commitment_photos(ids)
    return {pk: urls[0] for pk, urls in photos.items() if urls}


def commitment_photos(ids: list[int]) -> dict[int, list[str]]:
    """Public photos of commitments: evidence on public timeline entries and photos of
    approved progress reports, served re-encoded without metadata."""
    from django.contrib.contenttypes.models import ContentType

    from tracking.models import Evidence

    model = commitment_model()
    out: dict[int, list[str]] = {pk: [] for pk in ids}
    if model is None or not ids:
        return out
    ct = ContentType.objects.get_for_model(model)
    for ev in (
        Evidence.objects.filter(
            entry__item_type=ct,
            entry__item_id__in=ids,
            entry__is_public=True,
            content_type__startswith="image/",
        )
        .select_related("entry")
        .order_by("-id")[:200]
    ):
        out[ev.entry.item_id].append(reverse("participation:evidence", args=[ev.pk]))
    try:
        from commitments.models import ReportPhoto
    except ImportError:
        return out
    for photo in (
        ReportPhoto.objects.filter(report__commitment_id__in=ids, report__status="approved")
        .select_related("report")
        .order_by("-id")[:200]
    ):
        out[photo.report.commitment_id].append(
            reverse("participation:report-photo", args=[photo.pk])
        )
    return out


def commitment_page(request: HttpRequest, pk: int) -> HttpResponse:
    qs = public_commitments()
    if qs is None:
        raise Http404
    item = qs.filter(pk=pk).first()
    if item is None:
        raise NotFound()
    from django.contrib.contenttypes.models import ContentType

    from tracking import registry

    from .models import PollOption

    kind = registry.kind_for(type(item))
    reports = []
    if hasattr(item, "reports"):
        for r in item.reports.filter(status="approved").order_by("-period_start")[:12]:
            reports.append(
                {
                    "period": r.period_label,
                    "percent": r.percent,
                    "narrative": scrub_text(r.narrative),
                    "highlights": scrub_text(r.highlights),
                }
            )
    ct = ContentType.objects.get_for_model(type(item))
    return render(
        request,
        "participation/commitment.html",
        {
            "item": item,
            "supervised": item.escalation_level >= SUPERVISED,
            "timeline": timeline_for(item, public_only=True),
            "photos": commitment_photos([item.pk])[item.pk],
            "reports": reports,
            "ct": ct.pk,
            "finished": item.state in kind.finished_states,
            "co_units": item.co_units.all(),
            "polls": PollOption.objects.filter(target_type=ct, target_id=item.pk)
            .exclude(poll__status="draft")
            .select_related("poll"),
        },
    )


def units_page(request: HttpRequest) -> HttpResponse:
    """Each unit's public figures: commitments by state, average progress, supervision,
    case results and the residents' faces."""
    rows: dict[int, dict] = {}

    def row(unit_id: int) -> dict:
        return rows.setdefault(
            unit_id,
            {
                "n": 0,
                "done": 0,
                "avg": None,
                "supervised": 0,
                "overdue": 0,
                "cases": 0,
                "resolved": 0,
                "s": 0,
                "nn": 0,
                "u": 0,
            },
        )

    qs = public_commitments()
    if qs is not None:
        for r in (
            qs.exclude(owner_unit=None)
            .values("owner_unit")
            .annotate(
                n=Count("id"),
                done=Count("id", filter=Q(state__in=("completed", "accepted", "closed"))),
                avg=Avg("progress_percent"),
                supervised=Count("id", filter=Q(escalation_level__gte=SUPERVISED)),
                overdue=Count("id", filter=Q(supervision_status="overdue")),
            )
        ):
            x = row(r["owner_unit"])
            x.update({k: r[k] for k in ("n", "done", "supervised", "overdue")})
            x["avg"] = round(r["avg"] or 0)
    cases = case_model()
    if cases is not None:
        for r in (
            cases.objects.exclude(owner_unit=None)
            .values("owner_unit")
            .annotate(
                n=Count("id"),
                resolved=Count("id", filter=Q(state__in=("replied", "rated", "closed"))),
            )
        ):
            x = row(r["owner_unit"])
            x["cases"], x["resolved"] = r["n"], r["resolved"]
    for u in selectors.wall_units():
        x = row(u["unit"].pk)
        x["s"], x["nn"], x["u"] = u["s"], u["n"], u["u"]
    units = OrgNode.objects.in_bulk(list(rows))
    table = []
    for pk, x in rows.items():
        rated = x["s"] + x["nn"] + x["u"]
        x["rate"] = round(x["s"] * 100 / rated, 1) if rated else None
        x["resolve_rate"] = round(x["resolved"] * 100 / x["cases"], 1) if x["cases"] else None
        table.append({"unit": units[pk], **x})
    table.sort(key=lambda r: (-r["n"], -r["cases"], r["unit"].path))
    return render(request, "participation/units.html", {"rows": table})


def case_results_page(request: HttpRequest) -> HttpResponse:
    """Results of residents' cases, masked: what was asked (scrubbed), where (village),
    what was done. Only cases whose reply staff made public."""
    model = case_model()
    if model is None:
        raise Http404
    from cases import masking

    town = OrgNode.objects.filter(pk=_int(request.GET.get("town")) or 0, kind="town").first()
    qs = (
        model.objects.filter(is_public=True, state__in=("replied", "rated", "closed"))
        .select_related("place", "owner_unit", "category", "contact")
        .order_by("-replied_at", "-id")
    )
    if town:
        qs = qs.filter(access.subtree_q(town, "place"))
    page = Paginator(qs, 20).get_page(request.GET.get("page"))

    def clean(case, text: str) -> str:
        # Read only to mask: the requester's own name and address never reach the page.
        contact = getattr(case, "contact", None)
        names = (contact.name,) if contact else ()
        secrets = (case.address, contact.id_number if contact else "")
        return scrub_text(text, names=names, secrets=secrets)

    rows = [
        {
            "title": clean(c, getattr(c, "display_title", "") or c.title or ""),
            "place": masking.public_place(c.place),
            "unit": c.owner_unit.name if c.owner_unit_id else "",
            "category": c.category.name if c.category_id else "",
            "result": clean(c, c.result or ""),
            "state": c.state_label,
            "replied_at": c.replied_at,
            "s": c.rating_satisfied,
            "n": c.rating_neutral,
            "u": c.rating_unsatisfied,
        }
        for c in page
    ]
    return render(
        request,
        "participation/case_results.html",
        {
            "rows": rows,
            "page": page,
            "town": town,
            "towns": OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("path"),
        },
    )
