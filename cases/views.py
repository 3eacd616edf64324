"""Case pages: thin views that parse, call one service or selector, and render."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from html import escape  # the plain function: Django's lazy-aware one costs 5x here

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from core import after_response, ratelimit, sms
from core.errors import DomainError, InvalidInput, PermissionDenied, WorkflowError
from orgs import access
from orgs.models import OrgNode, Role
from taxonomy.models import Category
from tracking import services as kernel
from tracking import workdays
from tracking.models import Evidence, RatingValue
from tracking.selectors import timeline_for

from . import selectors, services, tables, textsearch
from .masking import mask_name, mask_phone, public_place
from .models import (
    BATCH_CHANNELS,
    OPEN_STATES,
    PUBLIC_KINDS,
    STAFF_CHANNELS,
    Case,
    Channel,
    Kind,
    State,
)

LIMITED = "提交过于频繁，请稍后再试"


def _limited(request: HttpRequest, group: str, key: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True)


def _code_key(group: str, request: HttpRequest) -> str:
    # Per tracking code, so the four digits cannot be guessed from many addresses.
    return services.normalise_code(request.POST.get("code", ""))


def _options(rows) -> str:
    """<option>s of (value, label, selected) rows, joined in one pass: hundreds of them
    through a template loop took a third of a page's time."""
    return "".join(
        f'<option value="{escape(str(value))}"{" selected" if sel else ""}>{escape(label)}</option>'
        for value, label, sel in rows
    )


def _town_options(selected: str) -> str:
    """The public form's towns, under their county when there are several (a province
    has a thousand towns, and many a 城关镇)."""
    towns = OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).order_by("path")
    counties = dict(OrgNode.objects.filter(kind=OrgNode.Kind.COUNTY).values_list("path", "name"))
    county_of = {path: path for path in counties}  # a town's county, by path prefix
    groups: dict[str, list] = {}
    for pk, path, name in towns.values_list("pk", "path", "name"):
        county = access.topmost_at(path, county_of) or ""
        groups.setdefault(county, []).append((pk, name, str(pk) == selected))
    options = {county: _options(rows) for county, rows in groups.items()}
    if len(options) > 1:
        options = {
            c: f'<optgroup label="{escape(counties.get(c, ""))}">{html}</optgroup>'
            for c, html in options.items()
        }
    return mark_safe("".join(options.values()))  # noqa: S308 (ids are ints, names escaped)


def _villages(town_id) -> list[OrgNode]:
    town = OrgNode.objects.filter(pk=town_id, kind=OrgNode.Kind.TOWN).first() if town_id else None
    if town is None:
        return []
    return list(OrgNode.objects.get_children(town).filter(kind=OrgNode.Kind.VILLAGE))


def _categories():
    return Category.objects.filter(is_active=True).select_related("aspect")


# --- public: submit, follow, rate ---------------------------------------------


def places(request: HttpRequest) -> HttpResponse:
    """The villages of a town, as <option>s for the dependent select (htmx)."""
    villages = _villages(request.GET.get("town"))
    return render(request, "cases/_village_options.html", {"villages": villages})


def submit(request: HttpRequest) -> HttpResponse:
    ctx = {
        "kinds": [(k.value, k.label) for k in PUBLIC_KINDS],
        "town_options": SimpleLazyObject(lambda: _town_options(request.POST.get("town", ""))),
        "categories": _categories(),
        "verify_phone": getattr(settings, "CASES_VERIFY_PHONE", False),
        "errors": {},
        "form": {"kind": "request"},
        "intake_key": uuid.uuid4().hex,
    }
    if request.method != "POST":
        return render(request, "cases/submit.html", ctx)
    data = request.POST
    ctx["form"] = data
    ctx["intake_key"] = data.get("intake_key") or uuid.uuid4().hex
    town = data.get("town")
    # Only a page shown again (an error) lists the town's villages: not queried on success.
    ctx["villages"] = SimpleLazyObject(lambda: _villages(town))
    if over_submit_limits(request):
        ctx["error"] = LIMITED
        return render(request, "cases/submit.html", ctx, status=429)
    form = submission_form(data)
    photos = [f for f in request.FILES.getlist("photos") if f]
    try:
        if photos:
            code = services.case_submit_public(**form, photos=photos).tracking_code
        else:
            # The busy path (see fastintake): one durable row answers, the case follows.
            code = services.submission_receive(**form)
    except InvalidInput as e:
        many = sum(len(v) for v in e.fields.values()) > 1
        ctx["error"] = "提交内容有误，请按下方提示修改后重新提交" if many else e.message
        ctx["errors"] = e.fields
        return render(request, "cases/submit.html", ctx, status=400)
    response = acknowledged(code)
    if settings.CASES_DRAIN_AFTER_RESPONSE:
        after_response.run_after(response, services.submissions_drain)
    return response


def over_submit_limits(request: HttpRequest) -> bool:
    # Per address and per phone, counted in one round trip (the busiest public path).
    return ratelimit.over_limit(
        [
            ("cases.submit.ip", ratelimit.client_address(request), settings.CASES_RATE_SUBMIT_IP),
            ("cases.submit.phone", _phone_key(request), settings.CASES_RATE_SUBMIT_PHONE),
        ]
    )


def _phone_key(request: HttpRequest) -> str:
    # Normalised, so spaces or +86 do not make a phone a new one to the limit.
    raw = request.POST.get("phone", "")
    try:
        return sms.normalise_phone(raw)
    except InvalidInput:
        return raw


def submission_form(data) -> dict:
    """The public form's fields, as services.submission_receive takes them."""
    return {
        "text": data.get("text", ""),
        "kind": data.get("kind", ""),
        "place": data.get("place"),
        "category": data.get("category") or None,
        "address": data.get("address", ""),
        "latitude": data.get("latitude") or None,
        "longitude": data.get("longitude") or None,
        "name": data.get("name", ""),
        "phone": data.get("phone", ""),
        "intake_key": (data.get("intake_key") or "")[:40],
        "sms_code": data.get("sms_code", ""),
    }


LAST_CODE_MAX_AGE = 3600  # seconds the done page and /follow/ remember the last code


@functools.cache
def _done_path(script_prefix: str) -> tuple[str, str]:
    head, _, tail = reverse("cases:submitted", kwargs={"code": "__code__"}).partition("__code__")
    return head, tail


@functools.cache
def _last_code_signer(secret_key: str) -> signing.Signer:
    # What set_signed_cookie builds on every call; request.get_signed_cookie reads it.
    return signing.get_cookie_signer(salt=LAST_CODE_COOKIE + LAST_CODE_COOKIE)


def acknowledged(code: str) -> HttpResponse:
    # The busiest public answer: the URL pattern and the signer are built once.
    head, tail = _done_path(get_script_prefix())
    response = HttpResponseRedirect(f"{head}{code}{tail}")
    # A signed cookie rather than a session: no session row or key to write for an
    # anonymous resident on the busiest public path.
    response.set_cookie(
        LAST_CODE_COOKIE,
        _last_code_signer(settings.SECRET_KEY).sign(code),
        max_age=LAST_CODE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


LAST_CODE_COOKIE = "cases_last_code"


def submitted(request: HttpRequest, code: str) -> HttpResponse:
    # Only the browser that submitted sees this page (the code is a secret).
    last = request.get_signed_cookie(LAST_CODE_COOKIE, default=None, salt=LAST_CODE_COOKIE)
    if last != code:
        return redirect("cases:follow")
    follow = request.build_absolute_uri(reverse("cases:follow") + f"?code={code}")
    return render(request, "cases/submitted.html", {"code": code, "follow_url": follow})


@require_POST
def send_sms(request: HttpRequest) -> HttpResponse:
    if _limited(request, "cases.sms.ip", "ip", settings.CASES_RATE_SMS_IP) or _limited(
        request, "cases.sms.phone", "post:phone", settings.CASES_RATE_SMS_PHONE
    ):
        return JsonResponse({"ok": False, "message": LIMITED}, status=429)
    try:
        sms.send_code(request.POST.get("phone", ""), "case")
    except InvalidInput as e:
        return JsonResponse({"ok": False, "message": e.message}, status=400)
    return JsonResponse({"ok": True, "message": "验证码已发送，10分钟内有效"})


def _with_files(entries, case: Case) -> list:
    """Attach short-lived signed links to each entry's evidence (media is not served openly)."""
    out = []
    for e in entries:
        e.files = [
            {
                "url": reverse(
                    "cases:evidence",
                    args=[signing.dumps({"e": f.pk, "c": case.pk}, salt=EVIDENCE_SALT)],
                ),
                "name": f.original_name,
                "image": f.content_type.startswith("image/"),
            }
            for f in e.evidence.all()
        ]
        out.append(e)
    return out


EVIDENCE_SALT = "cases.evidence"


def evidence(request: HttpRequest, token: str) -> HttpResponse:
    """One evidence file behind a signed link issued by a page that checked access."""
    try:
        ref = signing.loads(token, salt=EVIDENCE_SALT, max_age=6 * 3600)
        ev = Evidence.objects.select_related("entry").get(pk=ref["e"])
    except (signing.BadSignature, Evidence.DoesNotExist, KeyError, TypeError):
        raise Http404() from None
    if ev.entry.item_id != ref["c"] or ev.entry.item_type != Case.content_type():
        raise Http404()
    resp = FileResponse(ev.file.open("rb"), content_type=ev.content_type)
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


def _follow_context(case: Case, last4: str) -> dict:
    contact = getattr(case, "contact", None)
    entries = _with_files(
        [e for e in timeline_for(case) if e.is_public or e.action == "case.submit"], case
    )  # the code holder also sees their own submission and photos
    return {
        "case": case,
        "last4": last4,
        "entries": entries,
        "place": public_place(case.place),
        "masked_name": mask_name(contact.name) if contact else "",
        "masked_phone": mask_phone(contact.phone) if contact else "",
        "deadline_label": workdays.deadline_label(case.deadline) if case.clock_running else "",
        "fallback": workdays.fallback_notice(case.deadline) if case.clock_running else "",
        "can_rate": case.state == State.REPLIED,
        "ratings": RatingValue.choices,
    }


def follow(request: HttpRequest) -> HttpResponse:
    ctx = {"code": request.GET.get("code", "")}
    if request.method != "POST":
        return render(request, "cases/follow.html", ctx)
    code, last4 = request.POST.get("code", ""), request.POST.get("last4", "")
    ctx["code"] = code
    if _limited(request, "cases.follow.ip", "ip", settings.CASES_RATE_FOLLOW_IP) or _limited(
        request, "cases.follow.code", _code_key, settings.CASES_RATE_FOLLOW_CODE
    ):
        ctx["error"] = "查询过于频繁，请稍后再试"
        return render(request, "cases/follow.html", ctx, status=429)
    try:
        case = services.case_by_code(tracking_code=code, phone_last4=last4)
    except InvalidInput as e:
        ctx["error"] = e.message
        return render(request, "cases/follow.html", ctx, status=400)
    return render(request, "cases/follow_case.html", _follow_context(case, last4))


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    code, last4 = request.POST.get("code", ""), request.POST.get("last4", "")
    if _limited(request, "cases.follow.ip", "ip", settings.CASES_RATE_FOLLOW_IP) or _limited(
        request, "cases.follow.code", _code_key, settings.CASES_RATE_FOLLOW_CODE
    ):
        return render(request, "cases/follow.html", {"code": code, "error": LIMITED}, status=429)
    try:
        case = services.case_rate(
            tracking_code=code,
            phone_last4=last4,
            value=request.POST.get("value", ""),
            comment=request.POST.get("comment", ""),
        )
    except InvalidInput as e:
        return render(request, "cases/follow.html", {"code": code, "error": e.message}, status=400)
    except DomainError as e:
        case = services.case_by_code(tracking_code=code, phone_last4=last4)
        ctx = _follow_context(case, last4)
        ctx["error"] = e.message
        return render(request, "cases/follow_case.html", ctx, status=e.status)
    ctx = _follow_context(case, last4)
    ctx["message"] = "感谢您的评价！"
    return render(request, "cases/follow_case.html", ctx)


# --- staff: triage, inbox, list, case page --------------------------------------


def _fallback(page: selectors.Page) -> str:
    """The notice for years without holiday data, for the deadlines on this page."""
    return workdays.fallback_notice(timezone.localdate(), *[c.deadline for c in page.rows])


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.OFFICE)
    sort = request.GET.get("sort", "old")
    page = selectors.triage_queue(request.user, cursor=request.GET.get("after", ""), sort=sort)
    # one answer per visible row, stored when first computed (see textsearch)
    suggestions = textsearch.triage_suggestions(request.user, page.rows)
    detail = tables.detail_url()
    for s in suggestions.values():
        for d in s["duplicates"]:
            d["url"] = detail(d["id"])
    act = {name: tables.pk_url("cases:triage-act", name) for name in TRIAGE_ACTIONS}
    rows = [
        (r, suggestions.get(r["pk"]), {name: url(r["pk"]) for name, url in act.items()})
        for r in tables.case_rows(page.rows, no_category="未分类")
    ]
    return render(
        request,
        "cases/triage.html",
        {
            "page": page,
            "rows": rows,
            "counts": selectors.triage_counts(request.user),
            "sort": sort,
            "fallback": _fallback(page),
            "here": request.get_full_path(),
            "open_states": OPEN_STATES,
        },
    )


TRIAGE_ACTIONS = {"categorize": "已采用分类", "dispatch": "已交办", "merge": "已合并"}


@login_required
@require_POST
def triage_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One click on a suggestion in the triage list: the case services do the
    work (and the checks); back to the same list page with the outcome."""
    from django.contrib import messages
    from django.utils.http import url_has_allowed_host_and_scheme

    if name not in TRIAGE_ACTIONS:
        raise Http404()
    actor = request.user
    access.require_role(actor, Role.OFFICE)
    case = selectors.case_for_staff(actor, pk)
    p = request.POST
    try:
        if name == "categorize":
            services.case_categorize(actor=actor, case=case, category=p.get("category", ""))
        elif name == "dispatch":
            services.case_dispatch(actor=actor, case=case, unit=p.get("unit", ""), note="")
        else:
            services.case_merge(actor=actor, case=case, into=p.get("into", ""), note="")
    except (InvalidInput, WorkflowError, PermissionDenied) as e:
        messages.error(request, f"{case.tracking_code}：{e.message}")
    else:
        messages.success(request, f"{case.tracking_code}：{TRIAGE_ACTIONS[name]}")
    back = p.get("next", "")
    triage_url = reverse("cases:triage")
    if not (
        back.startswith(triage_url)
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    ):
        back = triage_url
    return redirect(back)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.UNIT_HANDLER, Role.UNIT_HEAD)
    tab = request.GET.get("tab", "todo")
    tab = tab if tab in selectors.INBOX_TABS else "todo"
    page = selectors.inbox_page(request.user, tab=tab, cursor=request.GET.get("after", ""))
    return render(
        request,
        "cases/inbox.html",
        {
            "page": page,
            "rows": tables.case_rows(page.rows),
            "tab": tab,
            "tabs": selectors.INBOX_TABS,
            "counts": selectors.inbox_counts(request.user),
            "fallback": _fallback(page),
        },
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    f = selectors.CaseFilters.from_query(request.GET)
    page = selectors.case_list_page(request.user, f, cursor=request.GET.get("after", ""))
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "rows": tables.case_rows(page.rows),
            "f": f,
            "query": params.urlencode(),
            "state_options": _choice_options(Case.WORKFLOW.choices(), f.state),
            "channel_options": _choice_options(Channel.choices, f.channel),
            "kind_options": _choice_options(Kind.choices, f.kind),
            "sort_options": _choice_options(selectors.SORTS.items(), f.sort),
            "category_options": _category_options(f.category),
            # Two levels below the actor's node: a province office picks among its
            # counties, not among every village of the province (tens of thousands).
            "place_options": _place_options(
                access.visible_nodes(request.user)
                .filter(
                    kind__in=[OrgNode.Kind.COUNTY, OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE],
                    depth__lte=(request.user.node.depth if request.user.node_id else 1) + 2,
                )
                .order_by("path")
                .values_list("pk", "kind", "name"),  # hundreds: no model instances
                f.place,
            ),
            "fallback": _fallback(page),
        },
    )


def _category_options(selected: int | None) -> str:
    rows = Category.objects.filter(is_active=True).values_list("pk", "name")
    return mark_safe(_options((pk, name, pk == selected) for pk, name in rows))  # noqa: S308


def _choice_options(choices, selected: str) -> str:
    """<option>s of (value, label) pairs, the selected one marked."""
    return mark_safe(_options((v, label, v == selected) for v, label in choices))  # noqa: S308


def _place_options(nodes, selected: int | None) -> str:
    # Villages indented under their town.
    rows = (
        (pk, ("　" if kind == "village" else "") + name, pk == selected) for pk, kind, name in nodes
    )
    return mark_safe(_options(rows))  # noqa: S308 (ids are ints, names escaped)


# Forms on the case page: transition name -> (template fields, service call).
ACTION_FORMS = (
    "accept",
    "decline",
    "merge",
    "dispatch",
    "sign",
    "return",
    "progress",
    "note",
    "reply",
    "flag",
    "close",
    "convert",
)


def _case_context(request: HttpRequest, case: Case) -> dict:
    actor = request.user
    allowed = {t.name: t for t in kernel.allowed_transitions(actor, case)}
    if "progress" in allowed:
        allowed.pop("note", None)  # the unit's note is a progress note
    return {
        "case": case,
        "entries": _with_files(timeline_for(case), case),
        "allowed": allowed,
        "unit_options": (
            _unit_options(
                selectors.dispatch_units(actor),
                case.category.default_unit_id if case.category else None,
            )
            if "dispatch" in allowed
            else ""
        ),
        "default_deadline": workdays.add_working_days(
            timezone.localdate(), services.default_days(case.category)
        ),
        "deadline_label": workdays.deadline_label(case.deadline) if case.clock_running else "",
        "fallback": workdays.fallback_notice(case.deadline, timezone.localdate()),
        "can_contact": services.can_view_contact(actor, case),
        "converters": services.converter_targets() if "convert" in allowed else {},
        "merged": case.merged.all()[:20],
        "suggestions": _suggestions(actor, case, allowed),
    }


UNIT_INDENT = {OrgNode.Kind.TOWN: "　", OrgNode.Kind.VILLAGE: "　　"}


def _unit_options(units, selected: int | None) -> str:
    # Towns indented under the departments, villages under their town.
    rows = ((pk, UNIT_INDENT.get(kind, "") + name, pk == selected) for pk, kind, name in units)
    return mark_safe(_options(rows))  # noqa: S308 (ids are ints, names escaped)


def _suggestions(actor, case: Case, allowed: dict) -> dict | None:
    """Category, unit and duplicate suggestions while the case is in triage."""
    if case.state not in services.TRIAGE_STATES or not actor.has_role(Role.OFFICE):
        return None
    answer = textsearch.case_suggestions(
        actor,
        text=textsearch.case_document(case.title, case.text),
        place=case.place,
        exclude=case.pk,
    )
    answer["can_dispatch"] = "dispatch" in allowed
    answer["merge_url"] = reverse("cases:act", args=[case.pk, "merge"])
    url = tables.detail_url()
    for d in answer["duplicates"]:
        d["url"] = url(d["id"])
        # merging into a finished case would bury a new complaint: link only
        d["mergeable"] = "merge" in allowed and d["state"] in OPEN_STATES
    answer["dup_top"], answer["dup_more"] = answer["duplicates"][:5], answer["duplicates"][5:]
    return answer


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_staff(request.user, pk)
    ctx = _case_context(request, case)
    if request.GET.get("contact") == "1" and ctx["can_contact"]:
        ctx["contact"] = services.case_contact_view(actor=request.user, case=case)
        ctx["contact_shown"] = True
    return render(request, "cases/detail.html", ctx)


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    actor = request.user
    case = selectors.case_for_staff(actor, pk)
    p = request.POST
    note = p.get("note", "")
    try:
        if name == "accept":
            services.case_accept(actor=actor, case=case, note=note)
        elif name == "categorize":
            services.case_categorize(actor=actor, case=case, category=p.get("category", ""))
        elif name == "decline":
            services.case_decline(actor=actor, case=case, reason=note)
        elif name == "merge":
            services.case_merge(actor=actor, case=case, into=p.get("into", ""), note=note)
        elif name == "dispatch":
            deadline = None
            if p.get("deadline"):
                try:
                    deadline = dt.date.fromisoformat(p["deadline"])
                except ValueError:
                    raise InvalidInput(
                        "请填写正确的日期", fields={"deadline": ["日期格式不正确"]}
                    ) from None
            services.case_dispatch(
                actor=actor, case=case, unit=p.get("unit", ""), deadline=deadline, note=note
            )
        elif name == "sign":
            services.case_sign(actor=actor, case=case, note=note)
        elif name == "return":
            services.case_return(actor=actor, case=case, reason=note)
        elif name in ("progress", "note"):
            services.case_note(
                actor=actor, case=case, note=note, evidence=request.FILES.getlist("evidence")
            )
        elif name == "reply":
            services.case_reply(
                actor=actor, case=case, result=note, evidence=request.FILES.getlist("evidence")
            )
        elif name == "flag":
            services.case_flag(actor=actor, case=case, reason=note)
        elif name == "close":
            services.case_close(actor=actor, case=case, note=note)
        elif name == "convert":
            services.case_convert(actor=actor, case=case, target=p.get("target", ""), note=note)
        else:
            raise Http404()
    except (InvalidInput, WorkflowError, PermissionDenied, RequestDataTooBig) as e:
        # Shown on the case page itself, with what was typed kept.
        case = selectors.case_for_staff(actor, pk)
        ctx = _case_context(request, case)
        ctx["error"] = getattr(e, "message", "提交的内容过大")
        ctx["error_action"] = name
        ctx["posted"] = p
        return render(request, "cases/detail.html", ctx, status=getattr(e, "status", 400))
    from django.contrib import messages

    messages.success(request, "操作成功")
    return redirect("cases:detail", pk=case.pk)


# --- staff intake ----------------------------------------------------------------


def _staff_places(actor):
    kinds = [OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID]
    return access.visible_nodes(actor).filter(kind__in=kinds).order_by("path")


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    actor = request.user
    access.require_role(actor, *services.INTAKE_ROLES)
    rows = max(1, min(int(request.POST.get("rows") or request.GET.get("rows") or 1), 30))
    ctx = {
        "channels": [(c.value, c.label) for c in STAFF_CHANNELS],
        "batch_channels": [c.value for c in BATCH_CHANNELS],
        "kinds": Kind.choices,
        "places": _staff_places(actor),
        "categories": _categories(),
        "errors": {},
        "form": {"channel": "visit", "collected_at": timezone.localdate().isoformat()},
        "rows": [{"i": i} for i in range(rows)],
        "row_count": rows,
        "intake_key": uuid.uuid4().hex,
    }
    if request.method != "POST":
        return render(request, "cases/intake.html", ctx)
    p = request.POST
    fields = ("text", "kind", "place", "category", "name", "phone", "address")
    items, index_map = [], []
    for i in range(rows):
        row = {k: p.get(f"items-{i}-{k}", "") for k in fields}
        if i > 0 and not row["text"].strip():
            continue  # an empty extra row
        index_map.append(i)
        items.append(
            {
                **row,
                "kind": row["kind"] or "request",
                "category": row["category"] or None,
                "place": row["place"] or p.get("place", ""),
            }
        )
    try:
        collected = dt.date.fromisoformat(p["collected_at"]) if p.get("collected_at") else None
    except ValueError:
        collected = "bad"
    ctx["form"] = p
    ctx["intake_key"] = p.get("intake_key", "")
    try:
        cases = services.case_intake(
            actor=actor,
            channel=p.get("channel", ""),
            collected_at=collected,
            items=items,
            note=p.get("note", ""),
            intake_key=(p.get("intake_key") or "")[:30],
        )
    except InvalidInput as e:
        row_errors: dict[int, dict[str, list[str]]] = {}
        top: dict[str, list[str]] = {}
        for key, msgs in e.fields.items():
            parts = key.split("-", 2)
            if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
                row_errors.setdefault(index_map[int(parts[1])], {})[parts[2]] = msgs
            elif key in ("channel", "collected_at", "items"):
                top[key] = msgs
            else:
                row_errors.setdefault(index_map[0], {})[key] = msgs
        ctx["error"] = e.message
        ctx["errors"] = top
        ctx["rows"] = [
            {
                "i": i,
                **{k: p.get(f"items-{i}-{k}", "") for k in fields},
                "errors": row_errors.get(i, {}),
            }
            for i in range(rows)
        ]
        return render(request, "cases/intake.html", ctx, status=400)
    from django.contrib import messages

    messages.success(request, f"已登记{len(cases)}条诉求")
    if len(cases) == 1:
        return redirect("cases:detail", pk=cases[0].pk)
    return redirect(reverse("cases:list") + f"?channel={cases[0].channel}")
