"""gunicorn settings for production mode (`make serve`) and the benchmark.

Sync workers: one request per process at a time, so a crash or a slow query
takes down one request, not a thread pool; put nginx in front (deploy/nginx.conf)
to buffer slow clients. Everything can be overridden from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# 2 × cores + 1 is gunicorn's rule of thumb for sync workers waiting on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("WORKER_CLASS", "sync")
threads = int(os.environ.get("WORKER_THREADS", "1"))
timeout = int(os.environ.get("WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Load the app once in the arbiter: workers fork with the code already imported,
# and a worker killed by the kernel is replaced in milliseconds.
preload_app = True
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "warning").lower()
proc_name = "banshi"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    # Whatever the preloaded app opened in the arbiter is closed before any fork,
    # so no database socket is ever shared between processes.
    from django.db import connections

    connections.close_all()
