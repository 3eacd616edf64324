from django.urls import URLPattern, path, re_path

from . import views
from .open311 import api as open311_api
from .rest import api


def _json_405(patterns):
    """ninja answers a wrong method with Django's bare 405: give it the JSON error shape."""
    for p in patterns:
        if isinstance(p, URLPattern):
            p.callback = views.json_method_not_allowed(p.callback)
    return patterns


_rest_patterns, _app, _ns = api.urls
_o311_patterns, _o311_app, _o311_ns = open311_api.urls

urlpatterns = [
    path("imports/", views.import_page, name="api-import"),
    path("imports/<int:job_id>/", views.import_job, name="api-import-job"),
    path("imports/<int:job_id>/progress", views.import_job_progress, name="api-import-progress"),
    path("api/", (_json_405(_rest_patterns), _app, _ns)),
    # Unknown paths under /api/ answer in the API's JSON error format, not an HTML page.
    re_path(r"^api/.*$", views.api_not_found),
    path("open311/v2/", (_o311_patterns, _o311_app, _o311_ns)),
    re_path(r"^open311/v2/.*$", views.open311_not_found),
]
