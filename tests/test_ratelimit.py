"""core.ratelimit: several fixed-window limits counted in one round trip."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from core import ratelimit


def test_parse_rate():
    assert ratelimit.parse_rate("30/h") == (30, 3600)
    assert ratelimit.parse_rate("5/10m") == (5, 600)
    assert ratelimit.parse_rate("100000000/h") == (100000000, 3600)
    with pytest.raises(ValueError):
        ratelimit.parse_rate("thirty per hour")


def _counts_until_refused(group: str) -> int:
    n = 0
    while not ratelimit.over_limit(
        [(group, "13800138000", "3/h"), (group + "ip", "1.2.3.4", "9/h")]
    ):
        n += 1
        assert n < 10
    return n


def test_every_limit_counts_and_the_first_one_over_refuses(settings):
    cache.clear()
    group = f"t{uuid.uuid4().hex}"
    assert _counts_until_refused(group) == 3
    # Another phone from the same address is still let through (its own counter).
    assert not ratelimit.over_limit([(group, "13900139000", "3/h")])
    # No value, no count (a form without a phone is refused by its own checks).
    assert not ratelimit.over_limit([(group, "", "0/h")])


def test_same_counters_on_redis(settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis here")
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    group = f"t{uuid.uuid4().hex}"
    assert _counts_until_refused(group) == 3
    # The window expires with its period (EXPIRE on the first hit).
    conn = redis.Redis.from_url(url)
    keys = conn.keys(f"*rl:{group}:*")
    assert keys and 0 < conn.ttl(keys[0]) <= 3600


def test_client_address_reads_the_proxy_header_and_groups_ipv6(settings):
    rf = RequestFactory()
    assert ratelimit.client_address(rf.get("/", REMOTE_ADDR="10.0.0.7")) == "10.0.0.7"
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    req = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="2001:db8::1:2:3:4")
    assert ratelimit.client_address(req) == "2001:db8::"
