"""Reads of the heavy pages from a PostgreSQL replica, when DATABASE_REPLICA_URL is set.

Without a replica everything reads and writes "default" and this module does
nothing. With one, reads go to "replica" only inside a `replica_reads()` block:
- GET/HEAD requests of the views named in settings.REPLICA_VIEWS (lists,
  search, dashboards: read-only pages where a second of replication lag is
  harmless) are wrapped by ReplicaReadsMiddleware;
- a selector can wrap itself: `with replica_reads(): ...` or use `@replica_reads()`.
Writes always go to the primary, and so do all other reads (a page right after
a form post must see what was just written).
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_active: ContextVar[bool] = ContextVar("banshi_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The alias a read-only selector may use with `.using(...)` right now."""
    return REPLICA if _active.get() and replica_configured() else "default"


class replica_reads(ContextDecorator):  # noqa: N801 (used like contextlib helpers)
    """Route reads inside the block (or decorated function) to the replica, if any."""

    def __enter__(self):
        self._token = _active.set(True)
        return self

    def __exit__(self, *exc):
        _active.reset(self._token)
        return False


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _active.get() and replica_configured():
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """Serve GET/HEAD of settings.REPLICA_VIEWS (URL names) from the replica."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.views = frozenset(getattr(settings, "REPLICA_VIEWS", ()))

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "_replica_token", None)
        if token is not None:
            _active.reset(token)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not replica_configured() or request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        if match and (match.view_name in self.views or match.url_name in self.views):
            request._replica_token = _active.set(True)
        return None
