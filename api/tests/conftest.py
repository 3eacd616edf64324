from __future__ import annotations

import pytest

from api.services import apikey_create
from orgs.models import OrgNode, Role, User


@pytest.fixture
def admin_actor(db):
    return User.objects.get(username="admin")


@pytest.fixture
def make_key(admin_actor):
    """make_key("T01", scope="read_write", roles=[Role.OFFICE]) -> (ApiKey, raw secret)."""

    def make(node_code: str, scope: str = "read", roles=(), name: str = "测试对接"):
        return apikey_create(
            actor=admin_actor,
            name=name,
            node=OrgNode.objects.get(code=node_code),
            scope=scope,
            roles=list(roles),
        )

    return make


@pytest.fixture
def key_client(client, make_key):
    """key_client("T01", ...) -> a test client that sends that key on every request."""

    def make(node_code: str, scope: str = "read", roles=()):
        from django.test import Client

        _key, raw = make_key(node_code, scope=scope, roles=roles)
        return Client(headers={"X-API-Key": raw})

    return make


__all__ = ["Role"]
