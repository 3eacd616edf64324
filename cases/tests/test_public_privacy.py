"""Crawl every public page of the demo (with its cases seeded) and find no requester's
full name or phone number; the follow page shows them masked."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
from django.core.cache import cache

from cases import demo
from cases.masking import mask_name, mask_phone
from cases.models import Case, CaseContact

pytestmark = pytest.mark.django_db

SKIP = ("/admin/", "/accounts/", "/static/", "/media/", "/staff/")


def crawl(client, start="/", limit=400):
    seen, queue, pages = set(), [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        if r.status_code != 200 or "html" not in r.get("Content-Type", ""):
            continue
        body = r.content.decode()
        pages[url] = body
        for href in re.findall(r'href="([^"#]+)"', body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.netloc and parsed.netloc != "testserver":
                continue
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path.startswith(SKIP) or path in seen:
                continue
            queue.append(path)
    return pages


def leaks(body: str, names: set[str], phones: set[str]) -> list[str]:
    found = [p for p in phones if p in body]
    found += [n for n in names if n in body]
    return found


def test_no_requester_name_or_phone_on_public_pages(client):
    cache.clear()
    demo.seed()
    contacts = list(CaseContact.objects.values_list("name", "phone"))
    assert len(contacts) > 2000
    # Full names of two characters or more (one character could be any word).
    names = {n for n, _ in contacts if len(n) >= 2}
    # Place names are public: a two-character name inside one (刘新 in 兴刘新村社区) is no leak.
    from orgs.models import OrgNode

    places = list(OrgNode.objects.values_list("name", flat=True))
    names = {n for n in names if not any(n in p for p in places)}
    assert len(names) > 1000
    phones = {p for _, p in contacts if p}
    pages = crawl(client)
    assert "/" in pages and "/submit/" in pages and "/follow/" in pages
    for url, body in pages.items():
        assert not leaks(body, names, phones), url
    # The follow page, opened by the code holder, shows the contact masked.
    sample = (
        Case.objects.filter(contact__isnull=False).select_related("contact").order_by("id")[::150]
    )
    for case in sample:
        r = client.post("/follow/", {"code": case.tracking_code, "last4": case.contact.phone[-4:]})
        body = r.content.decode()
        assert r.status_code == 200
        assert not leaks(body, names, phones), case.tracking_code
        assert mask_phone(case.contact.phone) in body
        assert mask_name(case.contact.name) in body
        assert case.address == "" or case.address not in body


def test_seed_is_idempotent():
    first = demo.seed()
    n = Case.objects.count()
    second = demo.seed()
    assert Case.objects.count() == n == demo.COUNT
    assert "未重复生成" in second and first != second
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(Case.WORKFLOW.states)
    channels = set(Case.objects.values_list("channel", flat=True))
    from cases.models import Channel

    assert channels == set(Channel.values)
