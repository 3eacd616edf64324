"""Open311 GeoReport v2 service requests: POST with api_key, then GET by id, by token and
by the standard filters, in JSON and XML, field by field; no personal data in any GET."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import case_accept, case_dispatch, case_reply, case_sign
from orgs.models import Role
from taxonomy.models import Category

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
PERSONAL = ("王小明", "13912345678", "幸福路8号", "110101199003071234")


@pytest.fixture
def key(make_key):
    _key, raw = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER, Role.OFFICE])
    return raw


@pytest.fixture
def category():
    return Category.objects.filter(items__isnull=False).first()


def post(client, key, category, fmt="json", **extra):
    data = {
        "api_key": key,
        "service_code": category.code,
        "description": "幸福路8号门口下水道堵塞，联系电话13912345678，身份证110101199003071234",
        "address_id": "T01V01",
        "address_string": "幸福路8号",
        "lat": "36.123456",
        "long": "117.654321",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13912345678",
        "email": "wang@example.com",
        **extra,
    }
    return client.post(f"{BASE}/requests.{fmt}", data)


def assert_no_personal_data(body: str):
    for secret in PERSONAL:
        assert secret not in body, secret


def test_post_then_get_by_id_token_and_filters(client, key, category, node):
    r = post(client, key, category, **{"attribute[item]": category.items.first().code})
    assert r.status_code == 201, r.content
    (created,) = r.json()
    assert list(created) == ["service_request_id", "token", "service_notice", "account_id"]
    case = Case.objects.get(pk=int(created["service_request_id"]))
    assert (
        created["token"] == case.tracking_code and case.tracking_code in created["service_notice"]
    )
    # an ordinary case, recorded by the key's service user through the intake service
    assert case.channel == "api" and case.place == node("T01V01")
    assert case.category == category and case.item == category.items.first()
    assert case.contact.name == "王小明" and case.contact.phone == "13912345678"
    assert case.address == "幸福路8号"

    r = client.get(f"{BASE}/requests/{case.pk}.json", {"api_key": key})
    assert r.status_code == 200
    (row,) = r.json()
    assert list(row) == REQUEST_FIELDS
    assert row["service_request_id"] == str(case.pk)
    assert row["status"] == "open"
    assert row["status_notes"] == "待受理"
    assert row["service_code"] == category.code and row["service_name"] == category.name
    assert row["agency_responsible"] == ""
    assert row["address"] == node("T01V01").place_label()
    assert (row["lat"], row["long"]) == (36.12, 117.65)  # rounded to about a kilometre
    assert row["media_url"] is None and row["zipcode"] is None
    requested = dt.datetime.fromisoformat(row["requested_datetime"])
    assert requested.tzinfo is not None and abs(requested - case.collected_at) < dt.timedelta(
        seconds=1
    )
    assert "138" not in row["description"] and "139****5678" in row["description"]
    assert_no_personal_data(r.content.decode())

    # the token leads back to the id
    r = client.get(f"{BASE}/tokens/{case.tracking_code}.json")
    assert r.json() == [{"service_request_id": str(case.pk), "token": case.tracking_code}]

    # the standard filters
    def ids(**params):
        r = client.get(f"{BASE}/requests.json", {"api_key": key, **params})
        assert r.status_code == 200, r.content
        assert_no_personal_data(r.content.decode())
        return [x["service_request_id"] for x in r.json()]

    assert ids() == [str(case.pk)]
    assert ids(service_request_id=f"{case.pk},999999") == [str(case.pk)]
    assert ids(service_code=category.code) == [str(case.pk)]
    other = Category.objects.exclude(pk=category.pk).first()
    assert ids(service_code=other.code) == []
    assert ids(status="open") == [str(case.pk)]
    assert ids(status="closed") == []
    assert ids(status="open,closed") == [str(case.pk)]
    now = timezone.now()
    assert ids(start_date=(now - dt.timedelta(hours=1)).isoformat()) == [str(case.pk)]
    assert ids(start_date=(now + dt.timedelta(hours=1)).isoformat()) == []
    assert ids(end_date=(now - dt.timedelta(hours=1)).isoformat()) == []
    # nobody without a key sees a case that is not public
    assert client.get(f"{BASE}/requests.json").json() == []
    assert client.get(f"{BASE}/requests/{case.pk}.json").status_code == 404
    Case.objects.filter(pk=case.pk).update(is_public=True)
    assert [x["service_request_id"] for x in client.get(f"{BASE}/requests.json").json()] == [
        str(case.pk)
    ]


def test_states_map_to_open_and_closed_with_notes_and_agency(
    client, key, category, make_user, node
):
    (created,) = post(client, key, category).json()
    case = Case.objects.get(pk=int(created["service_request_id"]))
    office = make_user("T01", Role.OFFICE, Role.UNIT_HANDLER)
    case_accept(actor=office, case=case)
    case_dispatch(actor=office, case=case, unit=node("T01"))
    (row,) = client.get(f"{BASE}/requests/{case.pk}.json", {"api_key": key}).json()
    assert row["status"] == "open" and row["status_notes"] == "已交办"
    assert row["agency_responsible"] == "城关街道"
    assert row["service_notice"].startswith("承办单位应在") and row["expected_datetime"]
    case_sign(actor=office, case=case)
    case_reply(actor=office, case=case, result="已疏通，回访电话13912345678")
    (row,) = client.get(f"{BASE}/requests/{case.pk}.json", {"api_key": key}).json()
    assert row["status"] == "closed"
    assert (
        row["status_notes"].startswith("已办结：已疏通")
        and "13912345678" not in row["status_notes"]
    )
    assert row["expected_datetime"] is None


def test_xml_round_trip(client, key, category):
    r = post(client, key, category, fmt="xml")
    assert r.status_code == 201 and r["Content-Type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    request_id = root.findtext("request/service_request_id")
    assert request_id and root.findtext("request/token")
    r = client.get(f"{BASE}/requests/{request_id}.xml", {"api_key": key})
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    req = root.find("request")
    assert [c.tag for c in req] == REQUEST_FIELDS
    assert req.findtext("status") == "open"
    assert_no_personal_data(r.content.decode())
    r = client.get(f"{BASE}/requests.xml", {"api_key": key, "status": "open"})
    assert [e.text for e in ET.fromstring(r.content).iter("service_request_id")] == [request_id]
    token = ET.fromstring(
        client.get(f"{BASE}/tokens/{Case.objects.get().tracking_code}.xml").content
    )
    assert token.findtext("request/service_request_id") == request_id


def test_post_refusals_in_the_spec_error_format(client, key, category, make_key):
    r = client.post(f"{BASE}/requests.json", {"service_code": category.code, "description": "x"})
    assert (
        r.status_code == 400
        and r.json()[0]["code"] == 400
        and "api_key" in r.json()[0]["description"]
    )
    r = post(client, "bsk_bad_key", category)
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    _k, read_only = make_key("T01", scope="read")
    r = post(client, read_only, category)
    assert r.status_code == 403 and "只读" in r.json()[0]["description"]
    r = post(client, key, category, service_code="NOPE")
    assert r.status_code == 400 and "service_code" in r.json()[0]["description"]
    r = post(client, key, category, address_id="T02V01")  # outside the key's town
    assert r.status_code == 400 and "只能登记本辖区内的诉求" in r.json()[0]["description"]
    r = post(client, key, category, description="  ")
    assert r.status_code == 400
    r = post(client, key, category, **{"attribute[kind]": "volunteer"})
    assert r.status_code == 400
    root = ET.fromstring(post(client, key, category, fmt="xml", service_code="NOPE").content)
    assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert not Case.objects.exists()


def test_get_refusals(client, key):
    assert client.get(f"{BASE}/requests.json", {"api_key": "bsk_x_y"}).status_code == 403
    assert client.get(f"{BASE}/requests.json", {"status": "pending"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", {"service_request_id": "abc"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert client.get(f"{BASE}/requests/999999.json", {"api_key": key}).status_code == 404
    assert client.get(f"{BASE}/tokens/NOPE.json").status_code == 404


def test_key_scope_limits_get(client, make_key, category, make_user, node):
    _k1, t01 = make_key("T01", scope="read_write", roles=[Role.GRID_WORKER])
    _k2, t02 = make_key("T02", scope="read_write", roles=[Role.GRID_WORKER])
    (a,) = post(client, t01, category, address_id="T01V01").json()
    (b,) = post(client, t02, category, address_id="T02V01").json()
    seen = [
        x["service_request_id"]
        for x in client.get(f"{BASE}/requests.json", {"api_key": t01}).json()
    ]
    assert seen == [a["service_request_id"]]
    r = client.get(f"{BASE}/requests/{b['service_request_id']}.json", {"api_key": t01})
    assert r.status_code == 404
