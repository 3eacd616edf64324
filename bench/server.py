"""Start and stop a real HTTP server (granian or gunicorn, several worker processes)
for the benchmark, as `make serve` runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def process_stat(pid: int) -> tuple[str, str, float] | None:
    """(name, state, user + system CPU seconds) of a process from /proc, None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw.rsplit(")", 1)[1].split()
    return name, rest[0], (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The command after `python`, as deploy/serve.sh runs each server.
SERVERS = {
    "granian": [str(ROOT / "deploy" / "granian_serve.py")],
    "gunicorn": ["-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "config.wsgi"],
}


class Server:
    def __init__(
        self,
        env: dict[str, str],
        workers: int = 4,
        port: int | None = None,
        threads: int = 1,
        kind: str = "granian",
    ) -> None:
        if kind not in SERVERS:
            raise ValueError(f"server {kind!r}: one of {', '.join(SERVERS)}")
        self.env = env
        self.kind = kind
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.killed: list[int] = []
        self.log = Path(env.get("BANSHI_VAR_DIR", "/tmp")) / f"{kind}-{self.port}.log"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        env = {
            **self.env,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "WORKER_THREADS": str(self.threads),
            "WORKER_CLASS": "gthread" if self.threads > 1 else "sync",
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._logfile = open(self.log, "ab")  # noqa: SIM115
        command = SERVERS[self.kind]
        if self.kind == "gunicorn" and env.get("WSGI_APP"):  # granian reads it itself
            command = [*command[:-1], env["WSGI_APP"]]
        self.proc = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        # The drain process beside the workers, as deploy/serve.sh runs it.
        self.drainer = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "manage.py", "drain_submissions"],
            cwd=ROOT,
            env=env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: see {self.log}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                if len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} not ready after {timeout}s: see {self.log}")

    def worker_pids(self) -> list[int]:
        """Live workers (a killed one stays a zombie until the arbiter reaps it)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        live = []
        for pid in map(int, text.split()):
            stat = process_stat(pid)
            if stat is not None and stat[1] not in ("Z", "X"):
                live.append(pid)
        return live

    def cpu_seconds(self) -> float:
        """User + system CPU of the live workers so far (for CPU per request)."""
        return sum(stat[2] for pid in self.worker_pids() if (stat := process_stat(pid)))

    def kill_worker(self, pid: int | None = None) -> int:
        """SIGKILL one worker (as the kernel's OOM killer would); the arbiter replaces it."""
        pid = pid or self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return pid

    def wait_replaced(self, timeout: float = 30) -> list[int]:
        """Wait until every killed worker is gone and the full count is back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= self.workers and not set(pids) & set(self.killed):
                return pids
            time.sleep(0.05)
        raise RuntimeError(f"workers not replaced after {timeout}s: see {self.log}")

    def stop(self) -> None:
        drainer = getattr(self, "drainer", None)
        if drainer and drainer.poll() is None:
            drainer.terminate()
            drainer.wait(timeout=30)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_logfile", None):
            self._logfile.close()
