"""Open311 GeoReport v2 under /open311/v2/, so existing civic tools can talk to Banshi.

Services are the taxonomy's categories (service_code = category code, group = aspect,
the items offered as a single-value-list attribute). Every answer comes as JSON or
XML by the path's extension; errors use the spec's [{code, description}] list.
Nothing that identifies a resident appears in any GET answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import Field

from core.errors import DomainError
from taxonomy.models import Category, Item

from .errors import field_messages
from .georeport import SPEC_URL, error_response, iso, respond
from .schemas import Text

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
    return error_response(fmt_of(request), exc.status_code, "请求有误")


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


# Other attributes (kind of request) are added once cases exist: see extra_attributes.
def extra_attributes() -> list[dict]:
    return []


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


__all__ = ["api", "iso"]
