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
