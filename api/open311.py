"""Open311 GeoReport v2 under /open311/v2/, so existing civic tools can talk to Banshi.

Services are the taxonomy's categories (service_code = category code, group = aspect,
the items offered as a single-value-list attribute). Every answer comes as JSON or
XML by the path's extension; errors use the spec's [{code, description}] list.
Nothing that identifies a resident appears in any GET answer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Form, NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import Field

from core.errors import DomainError, InvalidInput
from taxonomy.models import Category, Item

from .errors import field_messages
from .georeport import SPEC_URL, error_response, iso, respond
from .schemas import Text, When
from .throttling import PerAddress, PerFormKey

Format = Literal["json", "xml"]
FormatPath = Annotated[Format, Path(description="json 或 xml")]

CHANGESET = "2026-11-25T00:00:00+08:00"


class Jurisdiction(Schema):
    jurisdiction_id: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="单一辖区部署，可省略"
    )


# --- documented shapes (the OpenAPI document; answers are written by georeport) ---


class ErrorOut(Schema):
    code: int
    description: str


class EndpointOut(Schema):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class DiscoveryOut(Schema):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


class ServiceOut(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ValueOut(Schema):
    key: str
    name: str


class AttributeOut(Schema):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[ValueOut]


class ServiceDefinitionOut(Schema):
    service_code: str
    attributes: list[AttributeOut]


ERRORS = {400: list[ErrorOut], 403: list[ErrorOut], 404: list[ErrorOut]}

api = NinjaAPI(
    title="办实事 Open311 GeoReport v2",
    version="2",
    description="Open311 GeoReport v2 接口（" + SPEC_URL + "）。服务即分类；"
    "提交诉求须带 api_key；任何查询结果都不含个人信息。",
    urls_namespace="open311",
    throttle=[PerAddress()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def fmt_of(request: HttpRequest) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = field_messages(exc.errors)
    text = "；".join(f"{k}：{'，'.join(v)}" for k, v in fields.items()) or "请求参数有误"
    return error_response(fmt_of(request), 400, text)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = exc.status if exc.status in (400, 403, 404) else 400
    if exc.status == 401:
        status = 403  # the spec answers a bad api_key with 403
    detail = exc.message
    if exc.fields:
        detail += "（" + "；".join(f"{k}：{'，'.join(v)}" for k, v in exc.fields.items()) + "）"
    return error_response(fmt_of(request), status, detail)


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    text = "请求过于频繁，请稍后再试" if exc.status_code == 429 else "请求有误"
    return error_response(fmt_of(request), exc.status_code, text)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    import logging

    logging.getLogger(__name__).exception("Open311 error on %s", request.path)
    return error_response(fmt_of(request), 500, "服务器内部错误")


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/open311/v2").rstrip("/")


@api.get("/discovery.{fmt}", response={200: DiscoveryOut, **ERRORS}, summary="服务发现")
def discovery(request: HttpRequest, fmt: FormatPath):
    data = {
        "changeset": CHANGESET,
        "contact": getattr(
            settings, "OPEN311_CONTACT", f"{settings.SITE_NAME} · 县党史学习教育办公室（指挥中心）"
        ),
        "key_service": getattr(
            settings, "OPEN311_KEY_SERVICE", "api_key 由系统管理员在后台“API密钥”中签发"
        ),
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base_url(request),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, data, root="discovery")


def _categories():
    return (
        Category.objects.filter(is_active=True)
        .select_related("aspect", "default_unit")
        .prefetch_related(Prefetch("items", queryset=Item.objects.order_by("order", "id")))
    )


def service_row(c: Category) -> dict:
    items = list(c.items.all())
    unit = f"，默认承办单位：{c.default_unit.name}" if c.default_unit_id else ""
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.aspect.name} · {c.name}（办理时限{c.default_days}个工作日{unit}）",
        "metadata": bool(items) or bool(extra_attributes()),
        "type": "realtime",
        "keywords": ",".join(i.name for i in items),
        "group": c.aspect.name,
    }


@api.get("/services.{fmt}", response={200: list[ServiceOut], **ERRORS}, summary="服务列表")
def services(request: HttpRequest, fmt: FormatPath, q: Query[Jurisdiction]):
    return respond(fmt, [service_row(c) for c in _categories()], root="services", item="service")


def extra_attributes() -> list[dict]:
    """The kind of request (诉求/投诉/建议), asked of every service."""
    from cases.models import PUBLIC_KINDS

    return [
        {
            "variable": True,
            "code": "kind",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "默认为诉求",
            "order": 0,
            "description": "类型",
            "values": [{"key": k.value, "name": k.label} for k in PUBLIC_KINDS],
        }
    ]


def service_definition(c: Category) -> dict:
    items = list(c.items.all())
    attributes = []
    if items:
        attributes.append(
            {
                "variable": True,
                "code": "item",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "请选择最接近的具体事项（可不选）",
                "order": 1,
                "description": "具体事项",
                "values": [{"key": i.code, "name": i.name} for i in items],
            }
        )
    for n, attr in enumerate(extra_attributes(), start=len(attributes) + 1):
        attributes.append({**attr, "order": n})
    return {"service_code": c.code, "attributes": attributes}


@api.get(
    "/services/{service_code}.{fmt}",
    response={200: ServiceDefinitionOut, **ERRORS},
    summary="服务定义",
)
def service_detail(
    request: HttpRequest,
    service_code: Annotated[Text, Path(max_length=20)],
    fmt: FormatPath,
    q: Query[Jurisdiction],
):
    c = _categories().filter(code=service_code).first()
    if c is None:
        return error_response(fmt, 404, f"没有编码为 {service_code} 的服务")
    return respond(fmt, service_definition(c), root="service_definition")


# --- service requests (cases) --------------------------------------------------------

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
CLOSED_STATES = frozenset({"replied", "rated", "closed", "declined", "merged"})
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def scrub(text: str, case=None) -> str:
    """Mask what identifies the resident in free text: the case's own address and the
    requester's name where the text repeats them, phone and ID numbers anywhere."""
    from cases.masking import mask_id_number, mask_name, mask_phone

    text = text or ""
    if case is not None:
        if len(case.address) >= 2:
            text = text.replace(case.address, "***")
        contact = getattr(case, "contact", None) if _has_contact(case) else None
        if contact is not None and len(contact.name) >= 2:
            text = text.replace(contact.name, mask_name(contact.name))
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group()), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group()), text)


def _has_contact(case) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return case.contact is not None
    except ObjectDoesNotExist:
        return False


class RequestOut(Schema):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class CreatedOut(Schema):
    service_request_id: str
    token: str
    service_notice: str
    account_id: str | None


class TokenOut(Schema):
    service_request_id: str
    token: str


def request_row(case) -> dict:
    """One case as a GeoReport service request: nothing that identifies the resident.

    address stops at the village; lat/long are rounded to two decimals (about 1 km);
    phone and ID numbers in the text are masked; no name, phone or media.
    """
    from cases.masking import public_place

    status = "closed" if case.state in CLOSED_STATES else "open"
    notes = [case.state_label]
    if case.state in ("replied", "rated", "closed") and case.result:
        notes.append(scrub(case.result, case))
    elif case.state == "merged" and case.merged_into_id:
        notes.append(f"已与诉求{case.merged_into_id}合并办理")
    notice = ""
    expected = None
    if status == "open" and case.deadline:
        notice = f"承办单位应在{case.deadline:%Y年%m月%d日}前办结"
        expected = timezone.make_aware(dt.datetime.combine(case.deadline, dt.time(23, 59, 59)))
    lat = round(float(case.latitude), 2) if case.latitude is not None else None
    lng = round(float(case.longitude), 2) if case.longitude is not None else None
    return {
        "service_request_id": str(case.pk),
        "status": status,
        "status_notes": "：".join(notes),
        "service_name": case.category.name if case.category_id else "",
        "service_code": case.category.code if case.category_id else "",
        "description": scrub(case.text, case),
        "agency_responsible": case.owner_unit.name if case.owner_unit_id else "",
        "service_notice": notice,
        "requested_datetime": iso(case.collected_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(expected),
        "address": public_place(case.place),
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": None,
    }


def _visible(api_key: str | None):
    """Public cases for anyone; with an api_key, what the key's service user may see."""
    from cases.models import Case
    from orgs import access

    from .auth import principal_for_key

    # contact is loaded only to mask the name where the text repeats it
    qs = Case.objects.select_related("category", "owner_unit", "place", "contact")
    if api_key:
        principal = principal_for_key(api_key, "GET")
        return access.scope_tracked(principal.actor, qs)
    return qs.filter(is_public=True)


ApiKeyQuery = Annotated[
    Text | None, Query(None, max_length=200, description="可选：带上则按密钥范围查询")
]


class RequestFilters(Schema):
    service_request_id: Annotated[Text, Field(max_length=2000)] | None = Field(
        None, description="逗号分隔的多个编号；给出时忽略其他条件"
    )
    service_code: Annotated[Text, Field(max_length=20)] | None = None
    start_date: When | None = Field(None, description="W3C 时间，如 2026-01-01T00:00:00+08:00")
    end_date: When | None = None
    status: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="open、closed 或 open,closed"
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@api.get("/requests.{fmt}", response={200: list[RequestOut], **ERRORS}, summary="查询诉求")
def requests_list(
    request: HttpRequest,
    fmt: FormatPath,
    f: Query[RequestFilters],
    j: Query[Jurisdiction],
    api_key: ApiKeyQuery = None,
):
    qs = _visible(api_key)
    if f.service_request_id:
        ids = []
        for part in f.service_request_id.split(","):
            part = part.strip()
            if not part.isdigit() or len(part) > 15:
                return error_response(fmt, 400, f"service_request_id 无效：{part[:20]}")
            ids.append(int(part))
        qs = qs.filter(pk__in=ids[:MAX_RESULTS]).order_by("-id")
    else:
        if f.service_code:
            qs = qs.filter(category__code=f.service_code)
        if f.status:
            wanted = {s.strip() for s in f.status.split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                return error_response(fmt, 400, "status 只能是 open 或 closed")
            if wanted == {"open"}:
                qs = qs.exclude(state__in=CLOSED_STATES)
            elif wanted == {"closed"}:
                qs = qs.filter(state__in=CLOSED_STATES)
        end = _aware(f.end_date) if f.end_date else None
        start = _aware(f.start_date) if f.start_date else None
        # The spec's default window: the last 90 days (before end_date, if given).
        if start is None:
            start = (end or timezone.now()) - dt.timedelta(days=DEFAULT_DAYS)
        if end is not None and end < start:
            return error_response(fmt, 400, "end_date 不能早于 start_date")
        qs = qs.filter(collected_at__gte=start)
        if end is not None:
            qs = qs.filter(collected_at__lte=end)
        qs = qs.order_by("-collected_at", "-id")
    rows = [request_row(c) for c in qs[:MAX_RESULTS]]
    return respond(fmt, rows, root="service_requests", item="request")


@api.get(
    "/requests/{request_id}.{fmt}", response={200: list[RequestOut], **ERRORS}, summary="诉求详情"
)
def request_detail(
    request: HttpRequest,
    request_id: Annotated[Text, Path(max_length=20)],
    fmt: FormatPath,
    j: Query[Jurisdiction],
    api_key: ApiKeyQuery = None,
):
    qs = _visible(api_key)
    case = (
        qs.filter(pk=int(request_id)).first()
        if request_id.isdigit() and len(request_id) < 16
        else None
    )
    if case is None:
        return error_response(fmt, 404, f"没有编号为 {request_id} 的诉求，或无权查看")
    return respond(fmt, [request_row(case)], root="service_requests", item="request")


@api.get(
    "/tokens/{token}.{fmt}", response={200: list[TokenOut], **ERRORS}, summary="凭 token 查编号"
)
def token_detail(
    request: HttpRequest,
    token: Annotated[Text, Path(max_length=20)],
    fmt: FormatPath,
    j: Query[Jurisdiction],
):
    from cases.models import Case
    from cases.services import normalise_code

    code = normalise_code(token)
    pk = (
        Case.objects.filter(tracking_code=code).values_list("pk", flat=True).first()
        if code
        else None
    )
    if pk is None:
        return error_response(fmt, 404, "没有这个 token")
    return respond(
        fmt,
        [{"service_request_id": str(pk), "token": code}],
        root="service_requests",
        item="request",
    )


class RequestIn(Schema):
    api_key: Annotated[Text, Field(max_length=200)]
    service_code: Annotated[Text, Field(max_length=20)]
    description: Annotated[Text, Field(max_length=5000)] = ""
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    long: Annotated[float, Field(ge=-180, le=180)] | None = None
    address_string: Annotated[Text, Field(max_length=200)] = ""
    address_id: Annotated[Text, Field(max_length=32)] = Field(
        "", description="村（社区）或网格的编码"
    )
    email: Annotated[Text, Field(max_length=200)] = ""
    device_id: Annotated[Text, Field(max_length=100)] = ""
    account_id: Annotated[Text, Field(max_length=100)] = ""
    first_name: Annotated[Text, Field(max_length=25)] = ""
    last_name: Annotated[Text, Field(max_length=25)] = ""
    phone: Annotated[Text, Field(max_length=20)] = ""
    media_url: Annotated[Text, Field(max_length=500)] = ""
    attribute_item: Annotated[Text, Field(max_length=24)] = Field("", alias="attribute[item]")
    attribute_kind: Annotated[Text, Field(max_length=16)] = Field("", alias="attribute[kind]")


def _place_for(actor, data: RequestIn):
    """address_id (a node code) first; then a place named inside address_string; then the
    key's own node if it is a town, village or grid."""
    from orgs import access
    from orgs.models import OrgNode

    kinds = (OrgNode.Kind.TOWN, OrgNode.Kind.VILLAGE, OrgNode.Kind.GRID)
    if data.address_id:
        node = OrgNode.objects.filter(code=data.address_id.strip()).first()
        if node is None:
            raise InvalidInput(
                "address_id 不存在", fields={"address_id": ["请填写村（社区）或网格的编码"]}
            )
        return node.pk
    if data.address_string:
        names = (
            access.visible_nodes(actor).filter(kind__in=kinds).values_list("pk", "name", "depth")
        )
        found = [
            (depth, len(name), pk)
            for pk, name, depth in names
            if len(name) >= 2 and name in data.address_string
        ]
        if found:
            return max(found)[2]
    if actor.node and actor.node.kind in kinds:
        return actor.node_id
    raise InvalidInput(
        "请提供 address_id（村/社区或网格编码）或含村（社区）名称的 address_string",
        fields={"address_id": ["无法确定所在地"]},
    )


@api.post(
    "/requests.{fmt}",
    response={201: list[CreatedOut], **ERRORS},
    summary="提交诉求",
    throttle=[PerFormKey()],
)
def request_create(request: HttpRequest, fmt: FormatPath, data: Form[RequestIn]):
    """Through cases.services.case_intake as the key's service user (channel 接口):
    the key must be read-write, hold an intake role and cover the place."""
    from cases.models import PUBLIC_KINDS
    from cases.services import case_intake

    from .auth import principal_for_key

    principal = principal_for_key(data.api_key, "POST")
    actor = principal.actor
    category = Category.objects.filter(code=data.service_code, is_active=True).first()
    if category is None:
        return error_response(fmt, 400, f"service_code 无效：{data.service_code}")
    if not data.description.strip():
        return error_response(fmt, 400, "description 必填：请描述诉求内容")
    if data.lat is None and data.long is None and not data.address_string and not data.address_id:
        return error_response(fmt, 400, "请提供位置：lat/long、address_string 或 address_id")
    item_id = None
    if data.attribute_item:
        item_id = (
            category.items.filter(code=data.attribute_item).values_list("pk", flat=True).first()
        )
        if item_id is None:
            return error_response(fmt, 400, f"attribute[item] 无效：{data.attribute_item}")
    if data.attribute_kind and data.attribute_kind not in PUBLIC_KINDS:
        return error_response(fmt, 400, f"attribute[kind] 无效：{data.attribute_kind}")
    media = data.media_url.strip()
    if media:
        try:
            URLValidator(schemes=["http", "https"])(media)
        except DjangoValidationError:
            return error_response(fmt, 400, "media_url 无效：须为 http(s) 开头的图片地址")
    name = (data.last_name + data.first_name).strip()
    note = f"Open311 提交（{principal.key.name if principal.key else ''}）"
    if media:
        # Kept as a link for staff (the intake entry is not public); never fetched here.
        note += f"；附图链接：{media}"
    (case,) = case_intake(
        actor=actor,
        channel="api",
        items=[
            {
                "text": data.description,
                "kind": data.attribute_kind or "request",
                "place": _place_for(actor, data),
                "category": category.pk,
                "item": item_id,
                "address": data.address_string,
                "latitude": data.lat,
                "longitude": data.long,
                "name": name,
                "phone": data.phone,
            }
        ],
        note=note,
    )
    notice = (
        f"已收到，查询码 {case.tracking_code}。可凭查询码和手机号后四位在“进度查询”查看办理情况。"
    )
    row = {
        "service_request_id": str(case.pk),
        "token": case.tracking_code,
        "service_notice": notice,
        "account_id": data.account_id or None,
    }
    return respond(fmt, [row], root="service_requests", item="request", status=201)


__all__ = ["api", "iso", "request_row"]
