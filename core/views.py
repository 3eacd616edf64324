from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from . import panels


def healthz(request):
    # Touches no database: the bare baseline for throughput ratios.
    return HttpResponse(b"ok", content_type="text/plain")


def public_home(request):
    return render(request, "core/public_home.html")


@login_required
def staff_home(request):
    actor = request.user
    return render(
        request,
        "core/staff_home.html",
        {"panels": panels.panels_for(actor), "node": actor.node, "roles": actor.role_labels},
    )
