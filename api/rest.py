"""The REST API under /api/ (django-ninja): one NinjaAPI, one router per resource.

The OpenAPI 3 document is generated from the same type hints that validate the
requests, so it cannot drift from the code: /api/openapi.json, browsable at /api/docs.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from . import errors
from .auth import KeyAuth, StaffSession
from .endpoints import cases as cases_endpoints
from .endpoints import commitments as commitments_endpoints
from .endpoints import figures as figures_endpoints
from .endpoints import orgs as orgs_endpoints
from .endpoints import suggestions as suggestions_endpoints
from .endpoints import taxonomy as taxonomy_endpoints
from .throttling import PerPrincipal


class ChineseJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False)


DESCRIPTION = """
我为群众办实事平台接口。

**认证**：工作人员登录会话（写操作须带 `X-CSRFToken` 请求头），或在请求头
`X-API-Key` 中提供合作方API密钥。密钥限定一个组织节点及其下级，分只读与读写两种，
可随时吊销；密钥以其服务账号的身份调用与页面相同的业务操作，权限规则完全一致。

**错误**：统一为 JSON `{"code": "稳定代码", "message": "中文说明", "fields": {"字段": ["说明"]}}`。
"""

api = NinjaAPI(
    title="办实事 API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[KeyAuth(), StaffSession()],
    throttle=[PerPrincipal()],
    renderer=ChineseJSONRenderer(),
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
api.add_router("", orgs_endpoints.router)
api.add_router("", taxonomy_endpoints.router)
api.add_router("", cases_endpoints.router)
api.add_router("", suggestions_endpoints.router)
api.add_router("", commitments_endpoints.router)
api.add_router("", figures_endpoints.router)
