"""granian for production mode (`make serve`) and the benchmark.

granian's HTTP layer is Rust: reading the request, the socket and the answer cost a
worker a fraction of gunicorn's pure-Python request handling, so each request
leaves more of the CPU to the application. The WSGI app runs in blocking threads:
while one thread waits for the database (a submission waits for its WAL flush) the
other answers. Put nginx in front (deploy/nginx.conf) for TLS and slow clients.

The app is imported here, before the workers fork (as gunicorn's preload_app): each
worker starts with the URLconf and translations loaded (config/wsgi.py), and a
worker killed by the kernel is replaced at once.

Settings from the environment: BIND (127.0.0.1:8000), WEB_CONCURRENCY (worker
processes, 2 × cores + 1), WORKER_THREADS (threads per worker, 2), LOG_LEVEL
(warning), ACCESS_LOG (any value: log each request); any other granian option as
its GRANIAN_* variable (`.venv/bin/granian --help`), e.g. GRANIAN_WORKERS_LIFETIME
to recycle workers.
WSGI_APP (config.wsgi:granian_application) is the app served; only the
benchmark's cost ladder changes it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

# GRANIAN_BACKPRESSURE (connections a worker takes at once) stays at granian's default
# (backlog ÷ workers): it counts idle keep-alive connections too, so at the number of
# threads a worker would wait on nginx's idle upstream connections and serve nobody.
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    host, _, port = os.environ.get("BIND", "127.0.0.1:8000").rpartition(":")
    threads = os.environ.get("WORKER_THREADS", "2")
    defaults = {
        "GRANIAN_INTERFACE": "wsgi",
        "GRANIAN_HOST": host or "127.0.0.1",
        "GRANIAN_PORT": port,
        "GRANIAN_WORKERS": os.environ.get(
            "WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)
        ),
        "GRANIAN_BLOCKING_THREADS": threads,
        "GRANIAN_WEBSOCKETS": "false",
        # A worker killed (the OOM killer, a crash) is replaced.
        "GRANIAN_RESPAWN_FAILED_WORKERS": "true",
        "GRANIAN_LOG_LEVEL": os.environ.get("LOG_LEVEL", "warning").lower(),
        "GRANIAN_LOG_ACCESS_ENABLED": "true" if os.environ.get("ACCESS_LOG") else "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)

    import importlib

    from django.db import connections
    from granian.cli import cli

    # The app (the benchmark's cost ladder serves its own, bench/ladder_app.py).
    target = os.environ.get("WSGI_APP", "config.wsgi:granian_application")
    importlib.import_module(target.partition(":")[0])  # preload: workers fork with it

    # Nothing the import opened may be shared between processes.
    connections.close_all()
    cli([target], auto_envvar_prefix="GRANIAN")


if __name__ == "__main__":
    main()
