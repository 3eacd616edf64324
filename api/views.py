from functools import wraps

from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse

from .errors import STATUS_CODES, json_error


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return json_error(404, *STATUS_CODES[404])


def json_method_not_allowed(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response.get("Allow", "")
            response = json_error(405, *STATUS_CODES[405])
            response["Allow"] = allow
        return response

    return wrapped


def open311_not_found(request: HttpRequest, *args, **kwargs):
    from .georeport import error_response

    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(fmt, 404, "没有这个接口")
