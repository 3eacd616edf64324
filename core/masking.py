"""Masking of personal data for public pages and exports (DESIGN §6): 张**, 138****1234.

One set of rules for every app; places are masked by cases.masking.public_place.
"""

from __future__ import annotations

import re


def mask_name(name: str) -> str:
    """张三丰 -> 张**, whatever the length (the length would hint at the name)."""
    name = (name or "").strip()
    return name[0] + "**" if name else ""


def mask_phone(phone: str) -> str:
    """13812341234 -> 138****1234; anything shorter keeps only its last two digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 11:
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if not digits:
        return ""
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_id_number(value: str) -> str:
    value = (value or "").strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
