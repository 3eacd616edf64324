"""Fixed-window counters for several limits in one round trip.

django-ratelimit checks one limit per call, and on Redis each check is an ADD and
then an INCR script: four round trips for the submission form's two limits (per
address and per phone), the largest cost on that path. Here all the limits of one
request are counted by one script call (INCR, and EXPIRE on a new key, per key).
Without Redis (the embedded default, tests) the Django cache does the same with
add/incr.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time

from django.conf import settings
from django.core.cache import cache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/h" -> (30, 3600); "5/10m" -> (5, 600)."""
    found = _RATE.match(rate or "")
    if not found:
        raise ValueError(f"bad rate: {rate!r}")
    count, mult, unit = found.groups()
    return int(count), int(mult or 1) * _UNITS[unit]


def client_address(request) -> str:
    """The address limits count, as django-ratelimit's "ip" key reads it (the proxy's
    header when RATELIMIT_IP_META_KEY is set; an IPv6 client by its /64)."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    raw = (request.META.get(meta_key) or "").split(",")[0].strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


# INCR each key, and give a new one its period: one command for all the limits.
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""
_scripts: dict[int, object] = {}


def _redis_count(keys: list[tuple[str, int, int]]) -> list[int]:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    script = _scripts.get(id(client))
    if script is None:  # EVALSHA, loading the script once per server
        script = _scripts[id(client)] = client.register_script(_COUNT)
    return script(keys=[k for k, _, _ in keys], args=[period for _, _, period in keys])


def over_limit(checks: list[tuple[str, str, str]]) -> bool:
    """checks: (group, value, rate) each; counts one hit on every one and says whether
    any is now over its rate. An empty value (no phone given) is not counted."""
    keys = []
    now = int(time.time())
    for group, value, rate in checks:
        if not value:
            continue
        limit, period = parse_rate(rate)
        digest = hashlib.blake2b(value.encode(), digest_size=12).hexdigest()
        keys.append((f"rl:{group}:{digest}:{now // period}", limit, period))
    if not keys:
        return False
    if getattr(settings, "REDIS_URL", ""):
        counts = _redis_count(keys)
    else:
        counts = []
        for key, _, period in keys:
            cache.add(key, 0, period)
            counts.append(cache.incr(key))
    return any(n > limit for n, (_, limit, _) in zip(counts, keys, strict=True))
