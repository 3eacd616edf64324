"""Intake, follow, rating and staff pages through HTTP."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from cases import services
from cases.models import Case, CaseContact, State
from orgs.models import Role
from tracking.models import Evidence, PersonalDataAccess

from .conftest import PHONE_NO

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def jpeg_with_exif(size=(64, 48)) -> io.BytesIO:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS info
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    buf.seek(0)
    buf.name = "p.jpg"
    return buf


def form(node, **kw):
    data = {
        "text": "小区门口路灯坏了两个月，晚上很黑。",
        "kind": "request",
        "town": node("T01").pk,
        "place": node("T01V01").pk,
        "name": "王小明",
        "phone": PHONE_NO,
        "intake_key": kw.pop("intake_key", "key-abc"),
    }
    data.update(kw)
    return data


def test_submit_page_renders(client):
    r = client.get(reverse("cases:submit"))
    assert r.status_code == 200
    assert "我要反映" in r.content.decode()


def test_submit_page_lists_towns_flat_for_one_county_and_by_county_for_several(
    client, node, other_county
):
    from orgs.models import OrgNode

    body = client.get(reverse("cases:submit")).content.decode()
    town = node("T01")
    assert f'<option value="{town.pk}">{town.name}</option>' in body
    # Two counties: each town under its county's name, so two 城关镇 are told apart.
    assert f'<optgroup label="{other_county.name}"><option value="{node("ZT").pk}">' in body
    county = OrgNode.objects.filter(kind=OrgNode.Kind.COUNTY).exclude(pk=other_county.pk).get()
    assert f'<optgroup label="{county.name}">' in body
    # A form shown again keeps the chosen town.
    r = client.post(reverse("cases:submit"), {"town": town.pk, "text": ""})
    assert f'<option value="{town.pk}" selected>{town.name}</option>' in r.content.decode()


def test_village_options_for_town(client, node):
    r = client.get(reverse("cases:places"), {"town": node("T01").pk})
    body = r.content.decode()
    assert node("T01V01").name in body
    assert node("T04V01").name not in body


def test_valid_submission_with_photo_strips_exif(client, node):
    photo = jpeg_with_exif()
    r = client.post(reverse("cases:submit"), {**form(node), "photos": [photo]})
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == reverse("cases:submitted", args=[case.tracking_code])
    page = client.get(r["Location"]).content.decode()
    assert case.tracking_code in page and "follow/?code=" in page
    ev = Evidence.objects.get()
    with ev.file.open("rb") as fh:
        img = Image.open(fh)
        assert img.format == "JPEG"
        assert not img.getexif()


def test_done_page_needs_the_submitting_session(client, node, submit):
    case = submit()
    r = client.get(reverse("cases:submitted", args=[case.tracking_code]))
    assert r.status_code == 302


def test_invalid_submission_shows_chinese_messages_and_saves_nothing(client, node):
    r = client.post(reverse("cases:submit"), form(node, text="", phone="123", place="99999"))
    assert r.status_code == 400
    body = r.content.decode()
    assert "请填写诉求内容" in body
    assert "请输入正确的11位手机号码" in body
    assert "请选择所在乡镇（街道）和村（社区）" in body
    assert Case.objects.count() == 0


def test_too_long_text(client, node):
    r = client.post(reverse("cases:submit"), form(node, text="长" * 5001))
    assert r.status_code == 400
    assert "诉求内容不能超过5000字" in r.content.decode()
    assert Case.objects.count() == 0


def test_oversized_and_fake_photo_refused(client, node, settings, monkeypatch):
    from cases import photos

    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    big = jpeg_with_exif((400, 400))
    r = client.post(reverse("cases:submit"), {**form(node), "photos": [big]})
    assert r.status_code == 400
    assert "超过" in r.content.decode()
    fake = io.BytesIO(b"not an image at all")
    fake.name = "x.jpg"
    r = client.post(reverse("cases:submit"), {**form(node, intake_key="k2"), "photos": [fake]})
    assert r.status_code == 400
    assert "不是有效的图片" in r.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0


def test_double_submit_saves_once(client, node):
    a = client.post(reverse("cases:submit"), form(node))
    b = client.post(reverse("cases:submit"), form(node))
    assert a.status_code == b.status_code == 302
    assert a["Location"] == b["Location"]
    assert Case.objects.count() == 1 and CaseContact.objects.count() == 1


def test_rate_limit_per_phone(client, node, settings):
    settings.CASES_RATE_SUBMIT_PHONE = "2/h"
    for i in range(2):
        assert (
            client.post(reverse("cases:submit"), form(node, intake_key=f"k{i}")).status_code == 302
        )
    r = client.post(reverse("cases:submit"), form(node, intake_key="k9"))
    assert r.status_code == 429
    assert "提交过于频繁" in r.content.decode()
    assert Case.objects.count() == 2


def test_follow_with_code_and_wrong_digits(client, submit):
    case = submit()
    r = client.post(reverse("cases:follow"), {"code": case.tracking_code, "last4": "0000"})
    assert r.status_code == 400
    assert "查询码或手机号后四位不正确" in r.content.decode()
    r = client.post(reverse("cases:follow"), {"code": "WRONGCODE2", "last4": "1234"})
    assert r.status_code == 400
    r = client.post(reverse("cases:follow"), {"code": case.tracking_code, "last4": "1234"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "待受理" in body
    assert "张**" in body and "138****1234" in body
    assert "张三丰" not in body and PHONE_NO not in body


def test_rate_through_follow_page(client, replied_case):
    url = reverse("cases:rate")
    r = client.post(
        url, {"code": replied_case.tracking_code, "last4": "9999", "value": "satisfied"}
    )
    assert r.status_code == 400
    r = client.post(
        url, {"code": replied_case.tracking_code, "last4": "1234", "value": "satisfied"}
    )
    assert r.status_code == 200 and "感谢您的评价" in r.content.decode()
    r = client.post(url, {"code": replied_case.tracking_code, "last4": "1234", "value": "neutral"})
    assert r.status_code == 409 and "不能重复评价" in r.content.decode()
    replied_case.refresh_from_db()
    assert replied_case.state == State.RATED and replied_case.rating_satisfied == 1


# --- staff -----------------------------------------------------------------------


def test_staff_pages_and_actions(client, submit, office, unit_user, node, category):
    case = submit(category=category.pk)
    client.force_login(office)
    assert case.tracking_code in client.get(reverse("cases:triage")).content.decode()
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "交办" in page and "张三丰" not in page
    r = client.post(
        reverse("cases:act", args=[case.pk, "dispatch"]), {"unit": node("D05").pk, "deadline": ""}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.deadline
    client.force_login(unit_user)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert case.tracking_code in inbox
    assert client.post(reverse("cases:act", args=[case.pk, "sign"])).status_code == 302
    r = client.post(reverse("cases:act", args=[case.pk, "reply"]), {"note": ""})
    assert r.status_code == 400 and "请填写办理结果" in r.content.decode()
    r = client.post(reverse("cases:act", args=[case.pk, "reply"]), {"note": "已修复"})
    case.refresh_from_db()
    assert case.state == State.REPLIED


def test_contact_shown_only_on_request_and_logged(client, submit, office):
    case = submit()
    client.force_login(office)
    url = reverse("cases:detail", args=[case.pk])
    assert PHONE_NO not in client.get(url).content.decode()
    assert PersonalDataAccess.objects.count() == 0
    body = client.get(url, {"contact": "1"}).content.decode()
    assert PHONE_NO in body and "张三丰" in body
    assert PersonalDataAccess.objects.filter(actor=office, item_id=case.pk).count() == 1


def test_other_town_page_is_404_like_missing(client, submit, other_town_office):
    case = submit()
    client.force_login(other_town_office)
    mine = client.get(reverse("cases:detail", args=[case.pk]))
    missing = client.get(reverse("cases:detail", args=[987654]))
    assert mine.status_code == missing.status_code == 404
    assert (
        mine.content.decode().count("未找到该记录")
        == missing.content.decode().count("未找到该记录")
        == 1
    )
    r = client.post(reverse("cases:act", args=[case.pk, "accept"]))
    assert r.status_code == 404
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert case.tracking_code not in client.get(reverse("cases:list")).content.decode()


def test_list_filters_and_keyset_paging(client, submit, office, node, category, monkeypatch):
    from cases import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    a = submit(text="甲事项")
    b = submit(text="乙事项", category=category.pk)
    c = submit(text="丙事项", place=node("T04V01").pk)
    client.force_login(office)
    url = reverse("cases:list")
    body = client.get(url).content.decode()
    assert c.tracking_code in body and b.tracking_code in body and a.tracking_code not in body
    assert f"after={b.pk}" in body
    body = client.get(url, {"after": b.pk}).content.decode()
    assert a.tracking_code in body and b.tracking_code not in body
    body = client.get(url, {"category": category.pk}).content.decode()
    assert b.tracking_code in body and a.tracking_code not in body
    body = client.get(url, {"place": node("T04").pk}).content.decode()
    assert c.tracking_code in body and a.tracking_code not in body
    # The place picker keeps the chosen town, and villages are indented under towns.
    town, village = node("T04"), node("T04V01")
    assert f'<option value="{town.pk}" selected>{town.name}</option>' in body
    assert f'<option value="{village.pk}">　{village.name}</option>' in body
    body = client.get(url, {"q": "乙事"}).content.decode()
    assert b.tracking_code in body and c.tracking_code not in body
    body = client.get(url, {"state": "dispatched"}).content.decode()
    assert "没有符合条件的诉求" in body


def test_staff_batch_intake_from_forum(client, make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    client.force_login(grid)
    assert client.get(reverse("cases:intake")).status_code == 200
    data = {
        "channel": "forum",
        "collected_at": "2026-01-05",
        "note": "村民代表座谈会",
        "place": node("T01V01").pk,
        "rows": "3",
        "intake_key": "forum-abc",
        "items-0-text": "建议村里增设健身器材",
        "items-0-kind": "suggestion",
        "items-1-text": "河道有垃圾",
        "items-1-phone": "bad",
        "items-2-text": "",
    }
    r = client.post(reverse("cases:intake"), data)
    assert r.status_code == 400
    assert "请输入正确的11位手机号码" in r.content.decode()
    assert Case.objects.count() == 0
    data["items-1-phone"] = "13700001111"
    r = client.post(reverse("cases:intake"), data)
    assert r.status_code == 302
    assert Case.objects.filter(channel="forum").count() == 2
    client.post(reverse("cases:intake"), data)  # the same form again
    assert Case.objects.count() == 2


def test_home_panels_show_counts(client, submit, office):
    submit()
    client.force_login(office)
    body = client.get(reverse("staff-home")).content.decode()
    assert "待受理诉求" in body


def test_services_importable_for_other_apps():
    assert callable(services.register_converter)


def test_case_page_shows_working_days_and_fallback_notice(client, submit, office, node):
    import datetime as dt

    from django.utils import timezone

    from tracking import workdays

    case = submit()
    deadline = workdays.add_working_days(timezone.localdate(), 5)
    services.case_dispatch(actor=office, case=case, unit=node("D05"), deadline=deadline)
    client.force_login(office)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "剩余5个工作日" in body
    far = dt.date(2031, 3, 3)
    Case.objects.filter(pk=case.pk).update(deadline=far)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "2031年法定节假日尚未由管理员录入" in body
    listing = client.get(reverse("cases:list")).content.decode()
    assert "2031年法定节假日尚未由管理员录入" in listing
    past = workdays.add_working_days(timezone.localdate(), -3)
    Case.objects.filter(pk=case.pk).update(deadline=past)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "已超期3个工作日" in body


def test_sms_code_endpoint_and_limit(client, settings):
    from core import sms

    settings.CASES_RATE_SMS_PHONE = "1/h"
    r = client.post(reverse("cases:send-sms"), {"phone": "13700002222"})
    assert r.status_code == 200 and r.json()["ok"]
    assert sms.last_code_for("13700002222")
    r = client.post(reverse("cases:send-sms"), {"phone": "13700002222"})
    assert r.status_code == 429
    r = client.post(reverse("cases:send-sms"), {"phone": "abc"})
    assert r.status_code == 400 and "手机号" in r.json()["message"]


def test_evidence_link_needs_valid_signature(client, node):
    r = client.post(reverse("cases:submit"), {**form(node), "photos": [jpeg_with_exif()]})
    assert r.status_code == 302
    case = Case.objects.get()
    body = client.post(
        reverse("cases:follow"), {"code": case.tracking_code, "last4": "1234"}
    ).content.decode()
    import re

    url = re.search(r'src="(/files/[^"]+)"', body).group(1)
    ok = client.get(url)
    assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
    assert client.get(url[:-3] + "xyz/").status_code == 404


def test_unit_inbox_counts(client, submit, office, unit_user, node):
    from django.utils import timezone

    from tracking import workdays

    a = services.case_dispatch(actor=office, case=submit(), unit=node("D05"))
    b = services.case_dispatch(
        actor=office,
        case=submit(),
        unit=node("D05"),
        deadline=workdays.add_working_days(timezone.localdate(), 2),
    )
    services.case_sign(actor=unit_user, case=b)
    c = services.case_dispatch(actor=office, case=submit(), unit=node("D05"))
    Case.objects.filter(pk=c.pk).update(
        deadline=workdays.add_working_days(timezone.localdate(), -2)
    )
    from cases import selectors

    assert selectors.inbox_counts(unit_user) == {"todo": 2, "doing": 1, "soon": 1, "overdue": 1}
    client.force_login(unit_user)
    body = client.get(reverse("cases:inbox"), {"tab": "overdue"}).content.decode()
    assert c.tracking_code in body and a.tracking_code not in body
    body = client.get(reverse("staff-home")).content.decode()
    assert "待签收" in body and "已超期" in body


def test_follow_guessing_is_limited_per_code(client, submit, settings):
    settings.CASES_RATE_FOLLOW_CODE = "3/h"
    case = submit()
    for guess in ("0000", "0001", "0002"):
        assert (
            client.post(
                reverse("cases:follow"), {"code": case.tracking_code, "last4": guess}
            ).status_code
            == 400
        )
    r = client.post(reverse("cases:follow"), {"code": case.tracking_code.lower(), "last4": "1234"})
    assert r.status_code == 429 and "查询过于频繁" in r.content.decode()


def test_list_date_filter_pages_by_collected_time(client, make_user, office, node, monkeypatch):
    import datetime as dt

    from cases import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    grid = make_user("T01V01", Role.GRID_WORKER)
    made = []
    for day in (3, 4, 5, 6):
        made += services.case_intake(
            actor=grid,
            channel="visit",
            collected_at=dt.date(2026, 3, day),
            items=[{"text": f"三月{day}日走访事项", "place": node("T01V01").pk}],
        )
    client.force_login(office)
    url = reverse("cases:list")
    q = {"date_from": "2026-03-04", "date_to": "2026-03-06"}
    body = client.get(url, q).content.decode()
    assert made[3].tracking_code in body and made[2].tracking_code in body
    assert made[1].tracking_code not in body and made[0].tracking_code not in body
    import re

    nxt = re.search(r'after=([^"&]+)"', body).group(1)
    from urllib.parse import unquote

    body = client.get(url, {**q, "after": unquote(nxt)}).content.decode()
    assert made[1].tracking_code in body
    assert made[0].tracking_code not in body and made[3].tracking_code not in body


def test_refused_action_is_shown_on_the_case_page(client, submit, office, make_user):
    case = submit()
    client.force_login(office)
    r = client.post(reverse("cases:act", args=[case.pk, "close"]), {"note": "提前销号"})
    assert r.status_code == 409
    assert "不能销号" in r.content.decode() and case.tracking_code in r.content.decode()
    client.force_login(make_user("T01", Role.UNIT_HANDLER))  # sees the case, may not accept it
    r = client.post(reverse("cases:act", args=[case.pk, "accept"]))
    assert r.status_code == 403 and "受理" in r.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED


def test_case_page_dispatch_picker_lists_units_in_tree_order(client, submit, office, category):
    from orgs.models import OrgNode

    case = submit(category=category.pk)
    client.force_login(office)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    picker = page.split('<select name="unit" id="dispatch-unit">', 1)[1].split("</select>")[0]
    unit = category.default_unit
    assert f'<option value="{unit.pk}" selected>{unit.name}</option>' in picker
    assert picker.count(" selected") == 1
    town = OrgNode.objects.get(code="T01")
    village = OrgNode.objects.get(code="T01V01")
    assert f'<option value="{town.pk}">　{town.name}</option>' in picker
    assert f'<option value="{village.pk}">　　{village.name}</option>' in picker
    assert picker.index(f'value="{town.pk}"') < picker.index(f'value="{village.pk}"')
    assert "网格" not in picker  # grids are not units
