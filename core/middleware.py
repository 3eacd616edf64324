from django.shortcuts import render

from .errors import DomainError


class DomainErrorMiddleware:
    """Renders a DomainError escaping a view as a Chinese error page with its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        return render(
            request,
            "core/error.html",
            {"error": exception},
            status=exception.status,
        )
