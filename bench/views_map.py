"""Which URLs and functions the benchmark times: the one place that knows other apps' names.

Each page entry: (figure key, bench username, () -> [urls]). A factory raises
LookupError/NoReverseMatch when its app is not on this branch yet; the page is
then reported as skipped rather than failing the run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse


def _staff_home() -> list[str]:
    return [reverse("staff-home")]


PAGES: list[tuple[str, str, Callable[[], list[str]]]] = [
    ("staff_home", "b_unit", _staff_home),
]


def suggest_function() -> Callable[[str], object] | None:
    return None
