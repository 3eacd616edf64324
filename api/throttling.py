"""Rate limits on the APIs: django-ninja's throttles, with the rate read from settings
at each request (so deployments and tests can change it) and the cache as store
(Redis in production mode, shared by every app process)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import AnonRateThrottle, AuthRateThrottle


class _FromSettings:
    setting = ""

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class PerPrincipal(_FromSettings, AuthRateThrottle):
    """Per API key, or per staff user for session calls (str(Principal))."""

    setting = "API_RATE_PER_PRINCIPAL"

    def __init__(self) -> None:
        super().__init__(getattr(settings, self.setting))


class PerAddress(_FromSettings, AnonRateThrottle):
    """Per client address, for calls without authentication (Open311 reads)."""

    setting = "API_RATE_PER_ADDRESS"

    def __init__(self) -> None:
        super().__init__(getattr(settings, self.setting))


class PerFormKey(_FromSettings, AuthRateThrottle):
    """Per api_key given in the form (Open311 posts carry the key in the body)."""

    setting = "API_RATE_OPEN311_POST"
    scope = "open311_post"

    def __init__(self) -> None:
        super().__init__(getattr(settings, self.setting))

    def get_cache_key(self, request: HttpRequest) -> str:
        raw = request.POST.get("api_key", "") or self.get_ident(request) or ""
        ident = hashlib.sha256(raw.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
