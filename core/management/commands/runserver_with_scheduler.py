"""`make run`: the development server plus a scheduler thread for the periodic jobs.

A thread, not a task queue: one process needs no broker, and the database lock in
core.periodic keeps a second process from running the same jobs at once.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.core.management.commands.runserver import Command as RunserverCommand

log = logging.getLogger(__name__)


def _loop(stop: threading.Event) -> None:
    from django.db import connection

    from core.periodic import run_all

    owner = f"{socket.gethostname()}:{os.getpid()}:scheduler"
    while not stop.wait(
        5 if not getattr(_loop, "ran", False) else settings.PERIODIC_INTERVAL_SECONDS
    ):
        _loop.ran = True
        try:
            run_all(owner=owner)
        except Exception:  # keep the scheduler alive; the next tick retries
            log.exception("periodic run failed")
        finally:
            connection.close()


class Command(RunserverCommand):
    help = "启动开发服务器，并按计划运行定时任务"

    def inner_run(self, *args, **options):
        # Only the serving child of the autoreloader runs the scheduler.
        if os.environ.get("RUN_MAIN") == "true" or not options.get("use_reloader"):
            threading.Thread(target=_loop, args=(threading.Event(),), daemon=True).start()
        return super().inner_run(*args, **options)
