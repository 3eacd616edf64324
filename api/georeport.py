"""GeoReport v2 (Open311) output: the JSON shapes are plain lists/dicts; this module
writes the same data as the XML the specification shows, and its error format."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# list field -> the tag of each element inside it
PLURALS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


def iso(value: datetime | date | None) -> str | None:
    """W3C / ISO 8601 with the offset, as the spec asks."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return iso(value) or ""
    return str(value)


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            tag = PLURALS.get(key, "item")
            for v in value:
                el = ET.SubElement(child, tag)
                if isinstance(v, dict):
                    _fill(el, v)
                else:
                    el.text = _text(v)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, data: list[dict] | dict) -> bytes:
    """root/item/fields for lists (services, service_requests); root/fields for one object."""
    top = ET.Element(root)
    if isinstance(data, list):
        for row in data:
            _fill(ET.SubElement(top, item or "item"), row)
    else:
        _fill(top, data)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, data, *, root: str, item: str | None = None, status: int = 200):
    if fmt == "xml":
        return HttpResponse(
            to_xml(root, item, data), status=status, content_type="text/xml; charset=utf-8"
        )
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, default=_text),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error list: [{"code": 400, "description": "..."}] / <errors><error>…"""
    rows = [{"code": status, "description": description}]
    return respond(
        "xml" if fmt == "xml" else "json", rows, root="errors", item="error", status=status
    )
