"""Rate limits on /api/ (per key or staff user) and Open311 (per address for reads,
per api_key for posts), and Open311's media_url: kept as a staff-only link."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cases.models import Case
from orgs.models import Role
from taxonomy.models import Category
from tracking.models import TimelineEntry

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category():
    return Category.objects.filter(items__isnull=False).first()


def open311_post(client, raw, category, **extra):
    data = {
        "api_key": raw,
        "service_code": category.code,
        "description": "村口路灯不亮，晚上出行不便",
        "address_id": "T01V01",
        **extra,
    }
    return client.post(f"{BASE}/requests.json", data)


def test_rest_api_limits_each_key_on_its_own(key_client, settings):
    settings.API_RATE_PER_PRINCIPAL = "2/m"
    first = key_client("T01")
    other = key_client("T01")
    assert first.get("/api/nodes").status_code == 200
    assert first.get("/api/nodes").status_code == 200
    refused = first.get("/api/nodes")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert "频繁" in refused.json()["message"]
    # Another key has its own allowance.
    assert other.get("/api/nodes").status_code == 200


def test_open311_post_limited_per_key_and_nothing_saved_when_refused(
    client, make_key, category, settings
):
    settings.API_RATE_OPEN311_POST = "1/m"
    _key, raw = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER])
    before = Case.objects.count()
    assert open311_post(client, raw, category).status_code == 201
    refused = open311_post(client, raw, category)
    assert refused.status_code == 429
    assert "频繁" in refused.json()[0]["description"]
    assert Case.objects.count() == before + 1


def test_open311_reads_limited_per_address(client, settings):
    settings.API_RATE_PER_ADDRESS = "2/m"
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    refused = client.get(f"{BASE}/services.xml")
    assert refused.status_code == 429
    assert "频繁".encode() in refused.content


def test_open311_media_url_kept_for_staff_never_public(client, make_key, category):
    _key, raw = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER])
    url = "https://img.example.org/p/123.jpg"
    r = open311_post(client, raw, category, media_url=url)
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()[0]["service_request_id"])
    entry = TimelineEntry.objects.get(item_id=case.pk, action="case.submit")
    assert url in entry.note and not entry.is_public
    public = client.get(f"{BASE}/requests/{case.pk}.json", {"api_key": raw}).json()[0]
    assert public["media_url"] is None
    assert url not in str(public)


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://x.example.org/a.jpg", "不是链接"])
def test_open311_bad_media_url_refused_and_nothing_saved(client, make_key, category, bad):
    _key, raw = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER])
    before = Case.objects.count()
    r = open311_post(client, raw, category, media_url=bad)
    assert r.status_code == 400
    assert "media_url" in r.json()[0]["description"]
    assert Case.objects.count() == before
