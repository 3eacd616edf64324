"""What a public page may show of a person: masked names, phones, free text.

DESIGN §6: names become 张**, phones 138****1234, addresses stop at the village.
Free text written by residents is scrubbed of anything that looks like a phone or
an ID number before it is shown publicly.
"""

from __future__ import annotations

import re

from core import masking as core_masking
from core.masking import mask_phone

__all__ = ["mask_name", "mask_phone", "scrub_text"]

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[-\s]?\d{7,8}(?!\d)")
_ID = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")


def mask_name(name: str) -> str:
    """The shared rule (张**), with a neutral word where no name was given."""
    return core_masking.mask_name(name) or "群众"


def scrub_text(text: str, *, names: tuple[str, ...] = (), secrets: tuple[str, ...] = ()) -> str:
    """Mask phone and ID numbers inside free text meant for a public page; also the
    requester's own name (-> 张**) and other known private strings (address) if given."""
    text = text or ""
    for secret in secrets:
        if secret and len(secret) >= 2:
            text = text.replace(secret, "***")
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name))
    text = _ID.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****", text)
