"""Errors as JSON: {"code": stable machine code, "message": Chinese, "fields": {...}}.

Domain errors keep the code and message the services gave them; request-shape
errors (pydantic) get a Chinese message per field; anything unexpected is logged
and answered with code "server_error" (the fuzz test asserts it never happens).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from core.errors import DomainError

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthenticated", "请登录，或在请求头 X-API-Key 中提供有效的API密钥"),
    403: ("permission_denied", "您没有执行此操作的权限"),
    404: ("not_found", "未找到该记录，或您无权查看"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("wrong_state", "当前状态不允许此操作"),
    413: ("too_large", "请求内容过大"),
    422: ("invalid_request", "请求参数有误，请检查后重试"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，请稍后再试"),
}

# pydantic error type -> Chinese message (ctx values are filled in)
PYDANTIC_MESSAGES = {
    "missing": "此项必填",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "decimal_parsing": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "string_type": "须为文本",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "不能超过 {max_length} 个字",
    "too_short": "至少 {min_length} 项",
    "too_long": "不能超过 {max_length} 项",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "literal_error": "取值须为：{expected}",
    "enum": "取值须为：{expected}",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "datetime_parsing": "时间格式须为 ISO 8601，如 2026-01-31T08:00:00+08:00",
    "datetime_from_date_parsing": "时间格式须为 ISO 8601，如 2026-01-31T08:00:00+08:00",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_attributes_type": "须为对象",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效",
    "string_pattern_mismatch": "格式不正确",
    "uuid_parsing": "格式不正确",
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def field_messages(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """pydantic/ninja error list -> {dotted field: [Chinese message]}."""
    out: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        # ninja prefixes the source ("query", "body", "path", "form", "file")
        if loc and loc[0] in ("query", "body", "path", "form", "file", "header", "cookie"):
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in ("payload", "data", "filters"):
            loc = loc[1:]
        name = ".".join(loc) or "__all__"
        template = PYDANTIC_MESSAGES.get(err.get("type", ""), "格式不正确")
        try:
            msg = template.format(**(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            msg = template
        out.setdefault(name, []).append(msg)
    return out


def json_error(status: int, code: str, message: str, fields=None) -> JsonResponse:
    return JsonResponse(
        error_body(code, message, fields),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def install(api: NinjaAPI) -> None:
    """Register the JSON error handlers on a NinjaAPI."""

    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return json_error(exc.status, exc.code, exc.message, exc.fields)

    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = field_messages(exc.errors)
        first = next(iter(fields.items()), None)
        message = f"{STATUS_CODES[422][1]}（{first[0]}：{first[1][0]}）" if first else None
        return json_error(422, "invalid_request", message or STATUS_CODES[422][1], fields)

    def http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, message = STATUS_CODES.get(exc.status_code, ("error", "请求失败"))
        if isinstance(exc, AuthenticationError):
            code, message = STATUS_CODES[401]
        elif isinstance(exc, Throttled):
            code, message = STATUS_CODES[429]
        elif exc.status_code == 403 and "CSRF" in str(exc):
            code, message = (
                "csrf_failed",
                "CSRF 校验失败：会话方式调用写操作须带 X-CSRFToken 请求头",
            )
        return json_error(exc.status_code, code, message)

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return json_error(404, *STATUS_CODES[404])

    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return json_error(403, *STATUS_CODES[403])

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return json_error(500, *STATUS_CODES[500])

    api.add_exception_handler(DomainError, domain)
    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(HttpError, http)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(DjangoPermissionDenied, forbidden)
    api.add_exception_handler(Exception, unexpected)
