"""Open311 GeoReport v2: discovery and services, field by field against the spec
(http://wiki.open311.org/GeoReport_v2), in JSON and in XML."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from taxonomy.models import Category

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_discovery_json(client):
    r = client.get(f"{BASE}/discovery.json")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    d = r.json()
    assert set(d) == {"changeset", "contact", "key_service", "endpoints"}
    (ep,) = d["endpoints"]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"] == "http://testserver/open311/v2"
    assert ep["type"] in ("production", "test")
    assert ep["formats"] == ["text/xml", "application/json"]
    assert ep["changeset"] == d["changeset"]
    assert d["changeset"].startswith("20") and "T" in d["changeset"]


def test_discovery_xml(client):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    ep = root.find("endpoints/endpoint")
    assert ep.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]


SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


def test_services_json_are_the_active_categories(client):
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    rows = r.json()
    active = Category.objects.filter(is_active=True)
    assert len(rows) == active.count() == 30
    for row in rows:
        assert list(row) == SERVICE_FIELDS
        assert isinstance(row["metadata"], bool)
        assert row["type"] in ("realtime", "batch", "blackbox")
        assert isinstance(row["keywords"], str)
    c = active.select_related("aspect").first()
    row = next(x for x in rows if x["service_code"] == c.code)
    assert row["service_name"] == c.name
    assert row["group"] == c.aspect.name
    assert row["keywords"].split(",") == [i.name for i in c.items.order_by("order", "id")]


def test_inactive_category_is_not_a_service(client):
    c = Category.objects.first()
    c.is_active = False
    c.save()
    codes = {row["service_code"] for row in client.get(f"{BASE}/services.json").json()}
    assert c.code not in codes and len(codes) == 29


def test_services_xml(client):
    root = xml(client.get(f"{BASE}/services.xml?jurisdiction_id=shifanxian"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == 30
    s = services[0]
    assert [c.tag for c in s] == SERVICE_FIELDS
    assert s.findtext("metadata") in ("true", "false")


def test_service_definition(client):
    c = Category.objects.filter(items__isnull=False).first()
    r = client.get(f"{BASE}/services/{c.code}.json")
    assert r.status_code == 200
    d = r.json()
    assert d["service_code"] == c.code
    attr = d["attributes"][0]
    assert list(attr) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert attr["variable"] is True and attr["required"] is False
    assert attr["datatype"] in (
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    )
    assert [v["key"] for v in attr["values"]] == [i.code for i in c.items.order_by("order", "id")]
    root = xml(client.get(f"{BASE}/services/{c.code}.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == c.code
    value = root.find("attributes/attribute/values/value")
    assert value.findtext("key") == attr["values"][0]["key"]
    assert value.findtext("name") == attr["values"][0]["name"]


def test_errors_in_spec_format(client):
    r = client.get(f"{BASE}/services/NOPE.json")
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "没有编码为 NOPE 的服务"}]
    root = xml(client.get(f"{BASE}/services/NOPE.xml"))
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    r = client.get(f"{BASE}/services.yaml")
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    r = client.get(f"{BASE}/nothing.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
