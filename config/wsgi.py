import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
_django = get_wsgi_application()

# The public submission's busy path sits in front of Django's stack (cases/fastintake.py).
from cases.fastintake import FastIntake  # noqa: E402

application = FastIntake(_django)


def _without_process_env(app):
    """granian puts its whole process environment in every request's environ (CGI
    style): SECRET_KEY, DATABASE_URL with its password… would be in request.META,
    and so in error reports. They are dropped before the app sees the request."""
    request_keys = ("HTTP_", "CONTENT_", "SERVER_", "REMOTE_", "wsgi.")
    process = tuple(k for k in os.environ if not k.startswith(request_keys) and k not in _CGI_KEYS)

    def stripped(environ, start_response):
        for key in process:
            environ.pop(key, None)
        return app(environ, start_response)

    return stripped


_CGI_KEYS = {"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "GATEWAY_INTERFACE"}
# What deploy/granian_serve.py serves.
granian_application = _without_process_env(application)


def _warm() -> None:
    # Done once here, before the server forks its workers (preload): otherwise every
    # worker, and every worker recycled after max_requests, loads the URLconf (with the
    # API's schemas), the URL reverse map and the translations on its first request,
    # 1.6 s of CPU each time.
    from django.conf import settings
    from django.conf.urls.i18n import is_language_prefix_patterns_used
    from django.urls import get_resolver, reverse
    from django.utils import translation

    get_resolver().resolve("/")
    reverse("cases:submit")
    is_language_prefix_patterns_used(settings.ROOT_URLCONF)
    translation.activate(settings.LANGUAGE_CODE)
    translation.gettext("提交")
    translation.deactivate()
    # The suggesters and jieba's dictionary: 1-2 s of CPU in each worker's first
    # suggestion (the triage page, a case awaiting triage) otherwise.
    import textintel

    textintel.warm()


_warm()
