"""微心愿: posted -> approved -> claimed (圆梦人) -> fulfilled with proof -> confirmed."""

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from participation import selectors, services
from participation.models import MicroWish
from tracking.selectors import timeline_for

pytestmark = pytest.mark.django_db


def photo(name="p.jpg"):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 50, 50)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def posted(node, verify):
    phone = verify("13700001111", services.PURPOSE_WISH)
    return services.wish_post_public(
        phone=phone,
        village=node("T01V03"),
        title="想要一副老花镜",
        text="看不清药盒，电话13700001111",
        name="王秀英",
    )


@pytest.fixture
def approved(posted, office):
    return services.wish_approve(actor=office, wish=posted)


def test_resident_posts_wish_private_until_approved(posted, client):
    assert posted.state == "posted" and not posted.is_public
    assert posted.wisher_label == "王**" and posted.contact.phone == "13700001111"
    assert client.get(reverse("participation:wish", args=[posted.pk])).status_code == 404
    [entry] = timeline_for(posted)
    assert entry.actor is None and entry.action == "microwish.post"


def test_post_needs_verified_phone_and_fields(node, verify):
    with pytest.raises(PermissionDenied):
        services.wish_post_public(
            phone="13700002222", village=node("T01V03"), title="心愿", name="张三"
        )
    phone = verify("13700002222", services.PURPOSE_WISH)
    with pytest.raises(InvalidInput) as exc:
        services.wish_post_public(phone=phone, village=node("T01V03"), title=" ", name="张三")
    assert exc.value.fields == {"title": ["请填写心愿"]}
    with pytest.raises(InvalidInput, match="村"):
        services.wish_post_public(phone=phone, village=node("T01"), title="心愿", name="张三")
    assert not MicroWish.objects.exists()


def test_full_workflow(approved, volunteer, office, client):
    assert approved.is_public and approved.state == "approved"
    wish = services.wish_claim(actor=volunteer, wish=approved)
    assert wish.state == "claimed" and wish.claimant == volunteer
    assert wish.claimant_label == "林**（党员志愿者）"
    with pytest.raises(InvalidInput, match="佐证"):
        services.wish_fulfil(actor=volunteer, wish=wish, fulfilment="已送到")
    with pytest.raises(InvalidInput, match="圆梦情况"):
        services.wish_fulfil(actor=volunteer, wish=wish, fulfilment="", evidence=[photo()])
    wish = services.wish_fulfil(
        actor=volunteer, wish=wish, fulfilment="已送到老人家中", evidence=[photo()]
    )
    assert wish.state == "fulfilled" and wish.fulfilled_at
    wish = services.wish_confirm(actor=office, wish=wish, note="已回访")
    assert wish.state == "confirmed"
    public = [e.action for e in timeline_for(wish, public_only=True)]
    assert public == ["microwish.claim", "microwish.fulfil", "microwish.confirm"]
    page = client.get(reverse("participation:wish", args=[wish.pk])).content.decode()
    assert "已确认" in page and "王**" in page and "已送到老人家中" in page
    assert "王秀英" not in page and "13700001111" not in page and "137****1111" in page
    assert "/p/evidence/" in page


def test_claim_by_wrong_role_refused(approved, make_user):
    grid = make_user("T01V03", Role.GRID_WORKER)
    with pytest.raises(PermissionDenied, match="党员志愿者或单位"):
        services.wish_claim(actor=grid, wish=approved)
    approved.refresh_from_db()
    assert approved.state == "approved" and approved.claimant is None


def test_unapproved_wish_cannot_be_claimed(posted, volunteer):
    # not public yet: a volunteer elsewhere does not even see it
    with pytest.raises(NotFound):
        services.wish_claim(actor=volunteer, wish=posted)


def test_second_claim_refused(approved, volunteer, make_user):
    services.wish_claim(actor=volunteer, wish=approved)
    other = make_user("T04V01", Role.VOLUNTEER)
    with pytest.raises(WorkflowError, match="已认领"):
        services.wish_claim(actor=other, wish=approved)


def test_only_claimant_fulfils(approved, volunteer, make_user):
    wish = services.wish_claim(actor=volunteer, wish=approved)
    other = make_user("T04V01", Role.VOLUNTEER)
    with pytest.raises(PermissionDenied, match="圆梦人"):
        services.wish_fulfil(actor=other, wish=wish, fulfilment="x", evidence=[photo()])
    wish.refresh_from_db()
    assert wish.state == "claimed"


def test_unit_claims_and_colleague_fulfils(approved, make_user):
    handler = make_user("D05", Role.UNIT_HANDLER)
    wish = services.wish_claim(actor=handler, wish=approved)
    assert wish.claimant_unit.code == "D05" and wish.claimant_label == "住房和城乡建设局"
    assert wish.owner_unit.code == "D05"
    colleague = make_user("D05", Role.UNIT_HEAD)
    wish = services.wish_fulfil(actor=colleague, wish=wish, fulfilment="已办", evidence=[photo()])
    assert wish.state == "fulfilled"


def test_release_needs_reason_and_reopens(approved, volunteer):
    wish = services.wish_claim(actor=volunteer, wish=approved)
    with pytest.raises(InvalidInput):
        services.wish_release(actor=volunteer, wish=wish, note="")
    wish = services.wish_release(actor=volunteer, wish=wish, note="时间冲突")
    assert wish.state == "approved" and wish.claimant is None and wish.claimant_label == ""


def test_other_town_cannot_review(posted, make_user):
    other = make_user("T04", Role.OFFICE)
    with pytest.raises(NotFound):
        services.wish_approve(actor=other, wish=posted)
    village = make_user("T01V03", Role.GRID_WORKER)
    assert services.wish_approve(actor=village, wish=posted).state == "approved"


def test_reject_needs_reason(posted, office):
    with pytest.raises(InvalidInput, match="说明"):
        services.wish_reject(actor=office, wish=posted, note=" ")
    assert services.wish_reject(actor=office, wish=posted, note="不属于心愿").state == "rejected"


def test_confirm_only_after_fulfil_and_by_reviewer(approved, volunteer, office):
    with pytest.raises(WorkflowError):
        services.wish_confirm(actor=office, wish=approved)
    wish = services.wish_claim(actor=volunteer, wish=approved)
    wish = services.wish_fulfil(actor=volunteer, wish=wish, fulfilment="好", evidence=[photo()])
    with pytest.raises(PermissionDenied):
        services.wish_confirm(actor=volunteer, wish=wish)


def test_lists_and_counts(approved, volunteer, node, verify, office, client):
    phone = verify("13700003333", services.PURPOSE_WISH)
    second = services.wish_post_public(
        phone=phone, village=node("T04V01"), title="书包", name="李四"
    )
    services.wish_approve(actor=office, wish=second)
    services.wish_claim(actor=volunteer, wish=second)
    assert selectors.wish_counts() == {"open": 1, "claimed": 1, "fulfilled": 0}
    page = client.get(reverse("participation:wishes")).content.decode()
    assert "想要一副老花镜" in page and "书包" not in page
    page = client.get(reverse("participation:wishes") + "?tab=claimed").content.decode()
    assert "书包" in page and "林**（党员志愿者）" in page
    town = node("T01")
    page = client.get(reverse("participation:wishes") + f"?tab=claimed&town={town.pk}")
    assert "书包" not in page.content.decode()


def test_public_post_over_http(client, node):
    url = reverse("participation:wish-new")
    village = node("T02V01")
    client.post(url, {"phone": "13700004444", "action": "send_code"})
    from core import sms

    code = sms.last_code_for("13700004444")
    r = client.post(
        url,
        {
            "phone": "13700004444",
            "code": code,
            "title": "想学用手机",
            "name": "赵六",
            "village": village.pk,
        },
    )
    assert "心愿已提交" in r.content.decode()
    wish = MicroWish.objects.get()
    assert wish.place == village and wish.contact.name == "赵六"


def test_claim_and_fulfil_over_http(client, approved, volunteer, office):
    client.force_login(volunteer)
    page = client.get(reverse("participation:wish", args=[approved.pk])).content.decode()
    assert "我来认领" in page
    act = reverse("participation:wish-act", args=[approved.pk])
    client.post(act, {"action": "claim"})
    client.post(act, {"action": "fulfil", "fulfilment": "已送到", "evidence": photo()})
    approved.refresh_from_db()
    assert approved.state == "fulfilled"
    me = client.get(reverse("participation:me")).content.decode()
    assert "想要一副老花镜" in me
    client.force_login(office)
    staff = reverse("participation:staff-wish", args=[approved.pk])
    client.post(staff, {"action": "confirm", "note": "回访满意"})
    approved.refresh_from_db()
    assert approved.state == "confirmed"


def test_staff_sees_contact_only_with_log(client, posted, office):
    from tracking.models import PersonalDataAccess

    client.force_login(office)
    url = reverse("participation:staff-wish", args=[posted.pk])
    assert "王秀英" not in client.get(url).content.decode()
    assert "王秀英" in client.get(url + "?show_contact=1").content.decode()
    assert PersonalDataAccess.objects.filter(actor=office, item_id=posted.pk).count() == 1


def test_converter_from_case(office, node):
    case = SimpleNamespace(
        pk=4242,
        title="独居老人想要一台收音机",
        text="老人眼睛不好，想听戏。",
        place=node("T01V01G1"),
        address="幸福路3号",
        contact=SimpleNamespace(name="周大爷", phone="13600001234"),
    )
    wish = services.microwish_create_from_case(actor=office, case=case)
    assert wish.state == "approved" and wish.is_public and wish.place.code == "T01V01"
    assert wish.source == "case" and wish.wisher_label == "周**"
    with pytest.raises(WorkflowError, match="已转为微心愿"):
        services.microwish_create_from_case(actor=office, case=case)


def test_converter_refuses_wrong_role(make_user, node):
    handler = make_user("D05", Role.UNIT_HANDLER)
    case = SimpleNamespace(pk=1, title="x", text="x", place=node("T01V01"), contact=None)
    with pytest.raises(PermissionDenied):
        services.microwish_create_from_case(actor=handler, case=case)


def test_two_step_place_picker(client, node):
    town, mine, other = node("T01"), node("T01V02"), node("T02V01")
    page = client.get(reverse("participation:wish-new")).content.decode()
    assert town.name in page and mine.name not in page  # villages come after the town
    options = client.get(reverse("participation:villages"), {"town": town.pk}).content.decode()
    assert f'value="{mine.pk}"' in options and f'value="{other.pk}"' not in options
    # without JavaScript: the button lists the town's villages, nothing is saved
    r = client.post(reverse("participation:wish-new"), {"town": town.pk, "action": "pick_town"})
    assert mine.name in r.content.decode() and "请填写" not in r.content.decode()
    assert not MicroWish.objects.exists()
