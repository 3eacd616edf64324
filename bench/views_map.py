"""Which URLs and functions the benchmark times: the one place that knows other apps' names.

Each page entry: (figure key, bench username, () -> [urls]). A factory raises
LookupError/NoReverseMatch when its app is not on this branch yet; the page is
then reported as skipped rather than failing the run. Users (bench/dataset.py):
b_unit = a county department's handler, b_county = a county's office,
b_province = the province's office (sees the whole data set).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

from orgs.models import OrgNode

from .textgen import SUBJECTS

rng = random.Random(5)


def _model(app: str, name: str):
    from django.apps import apps

    return apps.get_model(app, name)


def _inbox() -> list[str]:
    url = reverse("cases:inbox")
    return [f"{url}?tab={tab}" for tab in ("todo", "doing", "soon", "overdue")]


def _list_filters(scope_code: str) -> list[str]:
    url = reverse("cases:list")
    Category = _model("taxonomy", "Category")
    cats = list(Category.objects.values_list("id", flat=True))
    scope = OrgNode.objects.get(code=scope_code)
    towns = list(
        OrgNode.objects.filter(path__startswith=scope.path, kind=OrgNode.Kind.TOWN).values_list(
            "id", flat=True
        )[:50]
    )
    states = ["submitted", "accepted", "dispatched", "in_progress", "replied", "closed"]
    urls = [url]
    for _ in range(30):
        parts = [f"state={rng.choice(states)}"]
        if rng.random() < 0.5:
            parts.append(f"category={rng.choice(cats)}")
        if rng.random() < 0.5 and towns:
            parts.append(f"place={rng.choice(towns)}")
        if rng.random() < 0.3:
            parts.append(f"channel={rng.choice(['web', 'phone', 'hotline', 'visit'])}")
        if rng.random() < 0.2:
            parts.append("overdue=1")
        if rng.random() < 0.3:
            parts.append(f"sort={rng.choice(['old', 'deadline'])}")
        urls.append(url + "?" + "&".join(parts))
    return urls


def _list_county() -> list[str]:
    return _list_filters("P01K01")


def _list_province() -> list[str]:
    return _list_filters("P")


def _search(scope_code: str) -> list[str]:
    url = reverse("cases:list")
    words = [s for s, _ in SUBJECTS] + ["漏水", "堵塞", "扰民", "安全隐患", "噪音"]
    return [f"{url}?q={w}" for w in words]


def _search_county() -> list[str]:
    return _search("P01K01")


def _case_pages() -> list[str]:
    Case = _model("cases", "Case")
    county = OrgNode.objects.get(code="P01K01")
    upper = str(int(county.path) + 1).zfill(len(county.path))
    ids = list(
        Case.objects.filter(place__path__gte=county.path, place__path__lt=upper)
        .order_by("-id")
        .values_list("id", flat=True)[:2000]
    )
    if not ids:
        raise LookupError("no cases in the county")
    return [reverse("cases:detail", args=[pk]) for pk in rng.sample(ids, min(60, len(ids)))]


def _dashboard() -> list[str]:
    # The figures app's dashboard once it lands; until then the staff home with its
    # pending-work panels (the counts a dashboard shows).
    for name in ("figures:dashboard", "figures:home", "figures:index"):
        try:
            return [reverse(name)]
        except NoReverseMatch:
            continue
    return [reverse("staff-home")]


PAGES: list[tuple[str, str, Callable[[], list[str]]]] = [
    ("inbox", "b_unit", _inbox),
    ("list", "b_county", _list_county),
    ("list_province", "b_province", _list_province),
    ("search", "b_county", _search_county),
    ("search_province", "b_province", lambda: _search("P")),
    ("case", "b_county", _case_pages),
    ("dashboard", "b_county", _dashboard),
    ("triage", "b_county", lambda: [reverse("cases:triage")]),
    ("staff_home", "b_unit", lambda: [reverse("staff-home")]),
]


def suggest_function() -> Callable[[str], object] | None:
    """textintel's answer for a new case: categories, units and duplicates."""
    try:
        from textintel import classify

        from . import gen_textintel

        if not classify.is_trained("category"):
            return None
        return gen_textintel.suggest_function()
    except ImportError:
        return None
