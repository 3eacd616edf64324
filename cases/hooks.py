"""What this app registers into the lower layers' registries (nav, staff home panels)."""

from __future__ import annotations

from core import nav, panels
from core.nav import NavEntry


def register() -> None:
    nav.add_public(
        NavEntry("我要反映", "cases:submit", hint="反映诉求、投诉或建议，无需注册", order=10)
    )
    nav.add_public(
        NavEntry("进度查询", "cases:follow", hint="凭查询码和手机号后四位查看办理进度", order=11)
    )
    nav.add_staff(NavEntry("受理台", "cases:triage", roles=("office",), order=10))
    nav.add_staff(NavEntry("待办件", "cases:inbox", roles=("unit_handler", "unit_head"), order=11))
    nav.add_staff(NavEntry("诉求列表", "cases:list", order=12))
    nav.add_staff(
        NavEntry(
            "代为登记",
            "cases:intake",
            roles=("grid_worker", "office", "unit_handler", "unit_head"),
            order=13,
        )
    )
    panels.register(case_panels)
    from . import textsearch

    textsearch.register()


def case_panels(actor) -> list[panels.Panel]:
    from .selectors import home_panels

    return home_panels(actor)
