"""Runs the periodic jobs listed in settings.PERIODIC_JOBS, once, under a lock.

The lock is a row in the database cache-free table `core_joblock`, so with several
app processes exactly one runner acts at a time. The runner itself does a few
single-row statements per job (take, extend, release the lock); the jobs do the
work. A job that fails is logged and reported, and the jobs after it still run (a
broken rollup must not keep the ladder from moving); each job's own transaction
has rolled its partial writes back.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobLock

log = logging.getLogger(__name__)
LOCK_NAME = "periodic"
LOCK_TTL = timedelta(minutes=30)


def _acquire(owner: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        # A stale lock (a runner that died) is taken over after LOCK_TTL.
        JobLock.objects.filter(name=LOCK_NAME, expires_at__lt=now).delete()
        try:
            JobLock.objects.create(name=LOCK_NAME, owner=owner, expires_at=now + LOCK_TTL)
        except IntegrityError:
            return False
    return True


def _extend(owner: str) -> None:
    """Keep the lock while jobs still run: a long run is not a dead runner."""
    JobLock.objects.filter(name=LOCK_NAME, owner=owner).update(expires_at=timezone.now() + LOCK_TTL)


def _release(owner: str) -> None:
    JobLock.objects.filter(name=LOCK_NAME, owner=owner).delete()


def run_all(owner: str = "manual") -> dict[str, dict]:
    """Run every job once. Returns {job: {"seconds": …, "result": …}} (a failed job:
    {"seconds": …, "error": "…"}); {} if another runner holds the lock."""
    if not _acquire(owner):
        log.info("periodic run skipped: another runner holds the lock")
        return {}
    report: dict[str, dict] = {}
    try:
        for dotted in settings.PERIODIC_JOBS:
            started = time.perf_counter()
            try:
                module_name, func_name = dotted.rsplit(".", 1)
                result = getattr(import_module(module_name), func_name)()
            except Exception as exc:  # noqa: BLE001 (reported; the other jobs still run)
                log.exception("periodic job %s failed", dotted)
                report[dotted] = {
                    "seconds": round(time.perf_counter() - started, 3),
                    "error": f"{type(exc).__name__}: {exc}",
                }
            else:
                report[dotted] = {
                    "seconds": round(time.perf_counter() - started, 3),
                    "result": result,
                }
            _extend(owner)
    finally:
        _release(owner)
    return report


def failed(report: dict[str, dict]) -> list[str]:
    """The jobs of a run_all report that failed."""
    return [job for job, row in report.items() if "error" in row]
