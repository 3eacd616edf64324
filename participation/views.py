"""Public pages: no login, mobile first, nothing that identifies a resident.

Residents prove a phone by SMS code on the same form they submit (one step; works
without JavaScript): the "获取验证码" button posts the form with action=send_code.
Every POST is rate limited (django-ratelimit) by address, code sending also by phone.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from core import sms
from core.errors import DomainError, NotFound
from orgs import access
from orgs.models import OrgNode
from tracking import registry
from tracking.models import Evidence, RatingValue
from tracking.selectors import timeline_for

from . import selectors, services
from .masking import scrub_text
from .models import MenuItem, MicroWish, Poll

RATES = {
    "post": "30/m",  # any public POST, per address
    "code_ip": "20/h",  # SMS codes sent, per address
    "code_phone": "5/h",  # SMS codes sent, per phone
    **getattr(settings, "PARTICIPATION_RATES", {}),
}


def _limited(request: HttpRequest, group: str, key: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)


def _too_many(request: HttpRequest) -> HttpResponse:
    error = DomainError("操作过于频繁，请稍后再试", code="rate_limited")
    error.status = 429
    return render(request, "core/error.html", {"error": error}, status=429)


def _phone_key(group: str, request: HttpRequest) -> str:
    try:
        return sms.normalise_phone(request.POST.get("phone", ""))
    except DomainError:
        return request.POST.get("phone", "")[:20]


def _send_code(request: HttpRequest, purpose: str) -> tuple[str, dict]:
    """Handle the 获取验证码 button: (message, errors)."""
    if _limited(request, "participation:code-ip", "ip", RATES["code_ip"]) or _limited(
        request, "participation:code-phone", _phone_key, RATES["code_phone"]
    ):
        return "", {"phone": ["验证码发送过于频繁，请稍后再试"]}
    try:
        sms.send_code(request.POST.get("phone", ""), purpose)
    except DomainError as e:
        return "", e.fields or {"phone": [e.message]}
    msg = "验证码已发送，请查收短信（10分钟内有效）"
    if settings.DEBUG and settings.SMS_BACKEND == "core.sms.LogBackend":
        # Development server without a gateway: show the code so the demo can be used.
        code = sms.last_code_for(sms.normalise_phone(request.POST["phone"]))
        msg += f"。演示环境验证码：{code}"
    return msg, {}


def _post_guard(request: HttpRequest) -> HttpResponse | None:
    if request.method == "POST" and _limited(request, "participation:post", "ip", RATES["post"]):
        return _too_many(request)
    return None


def _villages(town_id) -> list[tuple[int, str]]:
    """The villages of one town, for the two-step place picker (cached)."""
    try:
        town_id = int(town_id)
    except (TypeError, ValueError):
        return []
    key = f"participation:villages:{town_id}"
    data = cache.get(key)
    if data is None:
        town = OrgNode.objects.filter(pk=town_id, kind=OrgNode.Kind.TOWN).first()
        data = (
            list(
                OrgNode.objects.filter(access.subtree_q(town), kind=OrgNode.Kind.VILLAGE)
                .order_by("path")
                .values_list("pk", "name")
            )
            if town
            else []
        )
        cache.set(key, data, 600)
    return data


def _place_ctx(data) -> dict:
    return {"towns": _towns(), "villages": _villages(data.get("town"))}


@require_GET
def villages(request: HttpRequest) -> HttpResponse:
    """htmx: the village options of the chosen town."""
    return render(
        request,
        "participation/_village_options.html",
        {"villages": _villages(request.GET.get("town")), "form": {}},
    )


def _node_or_none(raw) -> OrgNode | None:
    try:
        return OrgNode.objects.filter(pk=int(raw)).first()
    except (TypeError, ValueError):
        return None


def _towns():
    return OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("path")


# --- the rating wall ------------------------------------------------------------------


def wall(request: HttpRequest) -> HttpResponse:
    kinds = {k.model._meta.model_name: k.label for k in selectors.wall_kinds()}
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    items = selectors.wall_items(limit=200, kind_label=kind)
    page = Paginator(items, 12).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/wall.html",
        {"page": page, "units": selectors.wall_units()[:30], "kinds": kinds, "kind": kind},
    )


def _wall_item(ct: int, pk: int):
    try:
        model = ContentType.objects.get_for_id(ct).model_class()
    except ContentType.DoesNotExist:
        raise NotFound() from None
    if model is None or model not in [k.model for k in selectors.wall_kinds()]:
        raise NotFound()
    kind = registry.kind_for(model)
    item = model.objects.filter(
        selectors.public_q(model), pk=pk, state__in=kind.finished_states
    ).first()
    if item is None:
        raise NotFound()
    return item


def wall_rate(request: HttpRequest, ct: int, pk: int) -> HttpResponse:
    if limited := _post_guard(request):
        return limited
    item = _wall_item(ct, pk)
    ctx: dict = {
        "item": item,
        "title": str(item),
        "errors": {},
        "form": request.POST,
        "done": False,
    }
    if request.method == "POST":
        if request.POST.get("action") == "send_code":
            ctx["sent"], ctx["errors"] = _send_code(request, services.PURPOSE_RATE)
        else:
            try:
                phone = services.phone_verify(
                    phone=request.POST.get("phone", ""),
                    purpose=services.PURPOSE_RATE,
                    code=request.POST.get("code", ""),
                )
                services.wall_rate(
                    item=item,
                    value=request.POST.get("value", ""),
                    comment=request.POST.get("comment", ""),
                    phone=phone,
                )
                ctx["done"] = True
                item.refresh_from_db()
            except DomainError as e:
                ctx["errors"] = e.fields or {"__all__": [e.message]}
                ctx["error"] = e.message
    ctx["faces"] = RatingValue.choices
    return render(request, "participation/wall_rate.html", ctx)


# --- polls --------------------------------------------------------------------------


def polls(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/polls.html", {"polls": selectors.public_polls()})


def _public_poll(pk: int) -> Poll:
    poll = Poll.objects.filter(pk=pk).exclude(status=Poll.Status.DRAFT).first()
    if poll is None:
        raise NotFound()
    return poll


def poll(request: HttpRequest, pk: int) -> HttpResponse:
    if limited := _post_guard(request):
        return limited
    poll = _public_poll(pk)
    ctx: dict = {"poll": poll, "errors": {}, "form": request.POST, "voted": False}
    if request.method == "POST":
        if request.POST.get("action") == "send_code":
            ctx["sent"], ctx["errors"] = _send_code(request, services.PURPOSE_VOTE)
        else:
            try:
                phone = services.phone_verify(
                    phone=request.POST.get("phone", ""),
                    purpose=services.PURPOSE_VOTE,
                    code=request.POST.get("code", ""),
                )
                services.poll_vote(
                    poll=poll, option_ids=request.POST.getlist("option"), phone=phone
                )
                ctx["voted"] = True
                poll.refresh_from_db()
            except DomainError as e:
                ctx["errors"] = e.fields or {"__all__": [e.message]}
                ctx["error"] = e.message
    ctx["results"] = selectors.poll_results(poll)
    ctx["open"] = poll.accepting_votes()
    return render(request, "participation/poll.html", ctx)


@require_GET
def poll_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The live results fragment (htmx polls it every few seconds while voting is open)."""
    poll = _public_poll(pk)
    return render(
        request,
        "participation/_poll_results.html",
        {"poll": poll, "results": selectors.poll_results(poll), "open": poll.accepting_votes()},
    )


# --- micro-wishes -------------------------------------------------------------------


def wishes(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "open")
    if tab not in selectors.WISH_TABS:
        tab = "open"
    town = _node_or_none(request.GET.get("town"))
    qs = selectors.public_wishes(tab, town if town and town.kind == "town" else None)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/wishes.html",
        {
            "tab": tab,
            "tabs": selectors.WISH_TAB_LABELS,
            "counts": selectors.wish_counts(),
            "page": page,
            "towns": _towns(),
            "town": town,
        },
    )


def wish(request: HttpRequest, pk: int) -> HttpResponse:
    wish = MicroWish.objects.filter(pk=pk, is_public=True).select_related("place").first()
    if wish is None:
        raise NotFound()
    can_claim = (
        request.user.is_authenticated
        and wish.state == "approved"
        and request.user.has_role(*services.CLAIMANT_ROLES)
    )
    is_claimant = (
        request.user.is_authenticated
        and wish.state == "claimed"
        and (
            wish.claimant_id == request.user.pk
            or (wish.claimant_unit_id and wish.claimant_unit_id == request.user.node_id)
        )
    )
    return render(
        request,
        "participation/wish.html",
        {
            "wish": wish,
            "text": _wish_text(wish),
            "timeline": timeline_for(wish, public_only=True),
            "can_claim": can_claim,
            "is_claimant": is_claimant,
            "rate_url": reverse(
                "participation:wall-rate",
                args=[ContentType.objects.get_for_model(MicroWish).pk, wish.pk],
            )
            if wish.state in ("fulfilled", "confirmed")
            else "",
        },
    )


def _wish_text(wish: MicroWish) -> str:
    contact = getattr(wish, "contact", None)
    if contact is None:
        return scrub_text(wish.text)
    return scrub_text(wish.text, names=(contact.name,), secrets=(contact.address,))


def wish_new(request: HttpRequest) -> HttpResponse:
    if limited := _post_guard(request):
        return limited
    ctx: dict = {"errors": {}, "form": request.POST, "done": None, **_place_ctx(request.POST)}
    if request.method == "POST":
        if request.POST.get("action") == "pick_town":
            pass  # no JavaScript: the page comes back with the town's villages
        elif request.POST.get("action") == "send_code":
            ctx["sent"], ctx["errors"] = _send_code(request, services.PURPOSE_WISH)
        else:
            try:
                phone = services.phone_verify(
                    phone=request.POST.get("phone", ""),
                    purpose=services.PURPOSE_WISH,
                    code=request.POST.get("code", ""),
                )
                ctx["done"] = services.wish_post_public(
                    phone=phone,
                    village=_node_or_none(request.POST.get("village")),
                    title=request.POST.get("title", ""),
                    text=request.POST.get("text", ""),
                    name=request.POST.get("name", ""),
                )
            except DomainError as e:
                ctx["errors"] = e.fields or {"__all__": [e.message]}
                ctx["error"] = e.message
    return render(request, "participation/wish_new.html", ctx)


# --- volunteer service ----------------------------------------------------------------


def menu(request: HttpRequest) -> HttpResponse:
    today = dt.date.today().replace(day=1)
    lectures = selectors.menu(MenuItem.Kind.LECTURE).filter(month__gte=today)
    return render(
        request,
        "participation/menu.html",
        {
            "services": selectors.menu(MenuItem.Kind.SERVICE),
            "lectures": lectures,
        },
    )


def order_new(request: HttpRequest, menu_id: int) -> HttpResponse:
    if limited := _post_guard(request):
        return limited
    item = get_object_or_404(MenuItem, pk=menu_id, is_active=True)
    ctx: dict = {"item": item, "errors": {}, "form": request.POST, **_place_ctx(request.POST)}
    if request.method == "POST":
        if request.POST.get("action") == "pick_town":
            pass  # no JavaScript: the page comes back with the town's villages
        elif request.POST.get("action") == "send_code":
            ctx["sent"], ctx["errors"] = _send_code(request, services.PURPOSE_ORDER)
        else:
            try:
                phone = services.phone_verify(
                    phone=request.POST.get("phone", ""),
                    purpose=services.PURPOSE_ORDER,
                    code=request.POST.get("code", ""),
                )
                wanted = request.POST.get("wanted_date") or None
                ctx["done"] = services.order_place_public(
                    phone=phone,
                    name=request.POST.get("name", ""),
                    menu_item=item,
                    village=_node_or_none(request.POST.get("village")),
                    needs=request.POST.get("needs", ""),
                    wanted_date=_date(wanted),
                )
            except DomainError as e:
                ctx["errors"] = e.fields or {"__all__": [e.message]}
                ctx["error"] = e.message
    return render(request, "participation/order_new.html", ctx)


def _date(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        from core.errors import InvalidInput

        raise InvalidInput("日期格式不正确", fields={"wanted_date": ["日期格式不正确"]}) from None


def order_track(request: HttpRequest) -> HttpResponse:
    """A resident's order: look up by code + phone tail; rate once it is served."""
    if limited := _post_guard(request):
        return limited
    data = request.POST if request.method == "POST" else request.GET
    ctx: dict = {"form": data, "errors": {}, "faces": RatingValue.choices}
    if data.get("code"):
        try:
            if request.method == "POST" and data.get("value"):
                services.order_rate_public(
                    code=data.get("code", ""),
                    phone_tail=data.get("tail", ""),
                    value=data.get("value", ""),
                    comment=data.get("comment", ""),
                )
                ctx["rated"] = True
            order = services.order_by_code(
                code=data.get("code", ""), phone_tail=data.get("tail", "")
            )
            ctx["order"] = order
            ctx["timeline"] = timeline_for(order, public_only=True)
        except DomainError as e:
            ctx["errors"] = e.fields or {"__all__": [e.message]}
            ctx["error"] = e.message
    return render(request, "participation/order_track.html", ctx)


def teams(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/teams.html", {"rows": selectors.team_hours()})


# --- evidence photos, stripped of metadata --------------------------------------------


def public_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo from a public timeline entry of a public item, re-encoded without EXIF/GPS."""
    ev = Evidence.objects.select_related("entry", "entry__item_type").filter(pk=pk).first()
    if ev is None or not ev.entry.is_public or not ev.content_type.startswith("image/"):
        raise Http404
    model = ev.entry.item_type.model_class()
    if (
        model is None
        or not model.objects.filter(selectors.public_q(model), pk=ev.entry.item_id).exists()
    ):
        raise Http404
    key = f"participation:evidence:{pk}"
    body = cache.get(key)
    if body is None:
        body = _strip_image(ev)
        cache.set(key, body, 3600)
    resp = HttpResponse(body, content_type="image/jpeg")
    resp["Cache-Control"] = "public, max-age=86400"
    return resp


def report_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo of an approved progress report of a public commitment, without metadata."""
    try:
        from commitments.models import ReportPhoto
    except ImportError:
        raise Http404 from None
    photo = (
        ReportPhoto.objects.filter(pk=pk, report__status="approved")
        .exclude(report__commitment__state="draft")
        .exclude(report__commitment=None)
        .first()
    )
    if photo is None:
        raise Http404
    key = f"participation:photo:{pk}"
    body = cache.get(key)
    if body is None:
        body = _strip_image(photo)
        cache.set(key, body, 3600)
    resp = HttpResponse(body, content_type="image/jpeg")
    resp["Cache-Control"] = "public, max-age=86400"
    return resp


def _strip_image(ev) -> bytes:
    from PIL import Image, ImageOps

    with ev.file.open("rb") as f:
        img = Image.open(f)
        img = ImageOps.exif_transpose(img)  # keep the orientation, drop the tags
        img = img.convert("RGB")
        img.thumbnail((1280, 1280))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80, optimize=True)  # no exif= : metadata dropped
    return out.getvalue()


def evidence_url(ev: Evidence) -> str:
    return reverse("participation:evidence", args=[ev.pk])
