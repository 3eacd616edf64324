from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render

from core.errors import DomainError, NotFound
from orgs import access

from . import jobs
from .errors import STATUS_CODES, json_error
from .forms import ImportForm
from .importer import FIELD_LABELS
from .models import ImportJob
from .services import IMPORT_ROLES, import_job_create


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return json_error(404, *STATUS_CODES[404])


def open311_not_found(request: HttpRequest, *args, **kwargs):
    from .georeport import error_response

    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(fmt, 404, "没有这个接口")


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


# --- the import page ----------------------------------------------------------


def _jobs_for(actor):
    visible = access.visible_nodes(actor).values("pk")
    return ImportJob.objects.filter(node__in=visible).select_related("node", "created_by")


@login_required
def import_page(request: HttpRequest):
    actor = access.require_staff(request.user)
    access.require_role(actor, *IMPORT_ROLES)
    form = ImportForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                actor=actor,
                file=form.cleaned_data["file"],
                node=form.cleaned_data["node"],
                source=form.cleaned_data["source"],
                mapping=form.mapping(),
                create_missing=form.cleaned_data["create_missing"],
                check_only=form.cleaned_data["check_only"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            jobs.start(job)
            return redirect("api-import-job", job_id=job.pk)
    return render(
        request,
        "api/import.html",
        {"form": form, "jobs": _jobs_for(actor)[:10], "labels": FIELD_LABELS},
    )


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    actor = access.require_staff(request.user)
    access.require_role(actor, *IMPORT_ROLES)
    job = _jobs_for(actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


@login_required
def import_job(request: HttpRequest, job_id: int):
    return render(request, "api/import_job.html", {"job": _job(request, job_id)})


@login_required
def import_job_progress(request: HttpRequest, job_id: int):
    """The htmx fragment polled every second until the job finishes."""
    return render(request, "api/_import_progress.html", {"job": _job(request, job_id)})
