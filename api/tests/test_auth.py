"""API keys and sessions: who may call, what a key sees, and how refusals look."""

from __future__ import annotations

import pytest
from django.test import Client

from api.models import ApiKey
from api.services import apikey_create, apikey_revoke
from core.errors import InvalidInput, NotFound, PermissionDenied
from orgs.models import OrgNode, Role, User

pytestmark = pytest.mark.django_db


def test_key_is_hashed_at_rest_and_shown_once(make_key):
    key, raw = make_key("T01")
    assert raw.startswith("bsk_")
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.split("_", 2)[2] not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64
    # the key's service user sits at the key's node, cannot log in, holds the roles
    assert stored.user.node.code == "T01"
    assert not stored.user.has_usable_password()


def test_no_credentials_is_401_json(client):
    r = client.get("/api/nodes")
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "unauthenticated"
    assert "API密钥" in body["message"]


def test_bad_key_is_refused_even_with_a_valid_prefix(make_key):
    _key, raw = make_key("T01")
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    for bad in ("nonsense", "bsk_", forged):
        r = Client(headers={"X-API-Key": bad}).get("/api/nodes")
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_key"


def test_revoked_key_is_refused(make_key, admin_actor):
    key, raw = make_key("T01")
    c = Client(headers={"X-API-Key": raw})
    assert c.get("/api/me").status_code == 200
    apikey_revoke(actor=admin_actor, key=key)
    r = c.get("/api/me")
    assert r.status_code == 401
    assert r.json() == {"code": "key_revoked", "message": "该API密钥已被吊销", "fields": {}}
    assert not User.objects.get(pk=key.user_id).is_active


def test_key_sees_only_its_subtree(key_client, node):
    c = key_client("T01")
    r = c.get("/api/nodes?limit=500")
    assert r.status_code == 200
    codes = {row["code"] for row in r.json()["items"]}
    assert "T01" in codes and "T01V01" in codes
    assert not any(code.startswith("T02") for code in codes)
    assert "C" not in codes
    # another town's node answers exactly like a missing one
    other = c.get(f"/api/nodes/{node('T02').pk}")
    missing = c.get("/api/nodes/999999999")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_me_tells_how_the_caller_is_known(key_client, client, demo_user):
    r = key_client("T04", scope="read_write", roles=[Role.OFFICE]).get("/api/me")
    body = r.json()
    assert body["via"] == "api_key" and body["key_scope"] == "read_write"
    assert body["node"]["code"] == "T04" and body["roles"] == [Role.OFFICE]
    client.force_login(demo_user("town"))
    body = client.get("/api/me").json()
    assert body["via"] == "session" and body["username"] == "town"


def test_session_write_needs_csrf(demo_user):
    c = Client(enforce_csrf_checks=True)
    c.force_login(demo_user("office"))
    r = c.post("/api/nodes", data={}, content_type="application/json")
    # no write endpoint there: 405, but never a silent success; CSRF is checked before
    assert r.status_code in (403, 405)
    assert r.json()["code"] in ("csrf_failed", "method_not_allowed")


def test_only_admins_make_keys_and_never_admin_keys(make_user, admin_actor, node):
    with pytest.raises(PermissionDenied):
        apikey_create(actor=make_user("C", Role.OFFICE), name="x", node=node("T01"))
    with pytest.raises(InvalidInput) as exc:
        apikey_create(actor=admin_actor, name="x", node=node("T01"), roles=[Role.ADMIN])
    assert "roles" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        apikey_create(actor=admin_actor, name=" ", node=node("T01"))
    assert exc.value.fields["name"] == ["请填写密钥名称"]
    # a town administrator cannot make a key for another town
    town_admin = make_user("T01", Role.ADMIN)
    with pytest.raises(NotFound):
        apikey_create(actor=town_admin, name="x", node=node("T02"))
    assert not ApiKey.objects.exists()


def test_admin_makes_and_revokes_keys_in_chinese(client, admin_actor, node):
    client.force_login(admin_actor)
    r = client.get("/admin/api/apikey/add/")
    assert r.status_code == 200 and "授权范围" in r.content.decode()
    r = client.post(
        "/admin/api/apikey/add/",
        {
            "name": "12345热线",
            "node": node("T01").pk,
            "scope": "read_write",
            "roles": [Role.OFFICE],
            "note": "",
        },
        follow=True,
    )
    assert r.status_code == 200
    key = ApiKey.objects.get(name="12345热线")
    text = r.content.decode()
    assert "只显示这一次" in text and f"bsk_{key.prefix}_" in text
    assert key.user.has_role(Role.OFFICE) and key.user.node == node("T01")
    r = client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )
    key.refresh_from_db()
    assert key.revoked_at is not None and not key.user.is_active


def test_errors_are_json_with_stable_code_and_chinese_message(key_client):
    c = key_client("C")
    r = c.get("/api/nodes?limit=0")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_request"
    assert body["fields"] == {"limit": ["须大于或等于 1"]}
    r = c.get("/api/nodes/abc")
    assert r.status_code == 422 and body["code"] == "invalid_request"
    r = c.get("/api/no/such/thing")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert r["Content-Type"].startswith("application/json")
    r = c.get("/api/categories/NOPE")
    assert r.status_code == 404 and r.json()["message"] == "未找到该记录，或您无权查看"


def test_categories_and_items(key_client):
    c = key_client("T01")
    r = c.get("/api/categories?limit=500")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 30
    first = body["items"][0]
    assert set(first) == {
        "id",
        "code",
        "name",
        "aspect",
        "default_unit",
        "default_days",
        "is_active",
        "items",
    }
    assert first["items"] and {"id", "code", "name"} == set(first["items"][0])
    one = c.get(f"/api/categories/{first['code']}").json()
    assert one == first


def test_openapi_document(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/nodes" in doc["paths"]
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("name") == "X-API-Key" for s in schemes.values())


def test_node_children_filter(key_client, node):
    c = key_client("C")
    t01 = node("T01")
    rows = c.get(f"/api/nodes?parent={t01.pk}&limit=500").json()["items"]
    assert rows and all(r["parent_id"] == t01.pk for r in rows)
    assert OrgNode.objects.get_parent(OrgNode.objects.get(pk=rows[0]["id"])) == t01


def test_docs_page_serves_its_own_assets(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
