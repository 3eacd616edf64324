"""Masking for public pages and exports (DESIGN §6): 张** / 138****1234 / village only."""

from __future__ import annotations

from core.masking import mask_id_number, mask_name, mask_phone

__all__ = ["mask_id_number", "mask_name", "mask_phone", "public_place"]


def public_place(node) -> str:
    """The place a public page may show: town + village, never finer (a grid -> its village)."""
    if node is None:
        return ""
    if getattr(node, "kind", "") == "grid":
        parent = type(node).objects.get_parent(node)
        if parent is not None:
            node = parent
    return node.place_label()
