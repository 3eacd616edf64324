"""Running an import job from the upload page: check every row, then write in bulk,
recording progress on the job row for the page to poll (htmx)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from core.errors import DomainError

from .models import ImportJob

log = logging.getLogger(__name__)
STEP = 1000  # rows between progress writes


def start(job: ImportJob) -> None:
    """Run in a background thread (the page polls), or inline when configured (tests)."""
    if getattr(settings, "API_IMPORT_IN_THREAD", True):
        threading.Thread(target=_thread_main, args=(job.pk,), daemon=True).start()
    else:
        run(job.pk)


def _thread_main(job_id: int) -> None:
    close_old_connections()
    try:
        run(job_id)
    finally:
        connection.close()


def run(job_id: int) -> ImportJob:
    from . import importer
    from .services import cases_import

    job = ImportJob.objects.select_related("node", "created_by").get(pk=job_id)
    jobs = ImportJob.objects.filter(pk=job_id)
    try:
        with job.file.open("rb") as fh:
            total = importer.count_rows(fh, job.filename)
        jobs.update(status=ImportJob.Status.CHECKING, total=total)
        with job.file.open("rb") as fh:
            plan = importer.check_file(
                fh,
                filename=job.filename,
                node=job.node,
                source=job.source,
                mapping=job.mapping,
                create_missing=job.create_missing,
                progress=lambda n: jobs.update(checked=n),
            )
        fields = {
            "checked": total,
            "skipped": plan.skipped,
            "error_count": plan.error_count,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in plan.errors[:1000]
            ],
            "to_write": len(plan.rows),
        }
        if not plan.ok:
            jobs.update(
                status=ImportJob.Status.INVALID,
                message=f"有{plan.error_count}处错误，未导入任何数据",
                finished_at=timezone.now(),
                **fields,
            )
        elif job.check_only or not plan.rows:
            jobs.update(
                status=ImportJob.Status.CHECKED,
                message="检查通过，未写入（只检查）" if job.check_only else "没有需要导入的新数据",
                finished_at=timezone.now(),
                **fields,
            )
        else:
            jobs.update(status=ImportJob.Status.WRITING, **fields)
            written = cases_import(
                actor=job.created_by,
                plan=plan,
                node=job.node,
                create_missing=job.create_missing,
                progress=lambda n: jobs.update(written=n),
            )
            jobs.update(
                status=ImportJob.Status.DONE,
                written=written,
                message=f"已导入{written}条，跳过已导入过的{plan.skipped}条",
                finished_at=timezone.now(),
            )
    except DomainError as exc:
        jobs.update(
            status=ImportJob.Status.FAILED, message=exc.message[:300], finished_at=timezone.now()
        )
    except Exception:
        log.exception("import job %s failed", job_id)
        jobs.update(
            status=ImportJob.Status.FAILED,
            message="导入过程中出现系统错误，未写入任何数据，请联系管理员",
            finished_at=timezone.now(),
        )
    return ImportJob.objects.get(pk=job_id)
