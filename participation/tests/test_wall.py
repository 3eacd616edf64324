"""民生实事墙: finished public items with three faces, per item and per unit."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import sms
from core.errors import PermissionDenied, WorkflowError
from orgs.models import Role
from participation import selectors, services
from participation.models import MicroWish
from tracking.models import Rating

pytestmark = pytest.mark.django_db


def _photo():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, "JPEG")
    return SimpleUploadedFile("a.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def finished(office, make_user, node):
    handler = make_user("D05", Role.UNIT_HANDLER)
    wish = services.wish_post(
        actor=office, village=node("T01V01"), title="修好楼道灯", name="张三", phone=""
    )
    wish = services.wish_approve(actor=office, wish=wish)
    wish = services.wish_claim(actor=handler, wish=wish)
    return services.wish_fulfil(actor=handler, wish=wish, fulfilment="已修好", evidence=[_photo()])


def test_wall_rate_once_per_phone(finished, verify):
    phone = verify("13300001111", services.PURPOSE_RATE)
    services.wall_rate(item=finished, value="satisfied", comment="谢谢", phone=phone)
    with pytest.raises(WorkflowError, match="不能重复评价"):
        services.wall_rate(item=finished, value="unsatisfied", phone=phone)
    finished.refresh_from_db()
    assert (finished.rating_satisfied, finished.rating_unsatisfied) == (1, 0)
    [unit] = selectors.wall_units()
    assert unit["unit"].code == "D05" and unit["s"] == 1 and unit["rate"] == 100.0


def test_wall_refuses_unverified_and_unfinished(finished, office, node, verify):
    with pytest.raises(PermissionDenied):
        services.wall_rate(item=finished, value="satisfied", phone="13300002222")
    open_wish = services.wish_approve(
        actor=office,
        wish=services.wish_post(actor=office, village=node("T01V01"), title="x", name="李四"),
    )
    phone = verify("13300002222", services.PURPOSE_RATE)
    with pytest.raises(WorkflowError, match="尚未办结"):
        services.wall_rate(item=open_wish, value="satisfied", phone=phone)
    assert not Rating.objects.exists()


def test_comment_scrubbed(finished, verify):
    phone = verify("13300003333", services.PURPOSE_RATE)
    services.wall_rate(item=finished, value="neutral", comment="联系我13300003333", phone=phone)
    assert Rating.objects.get().comment == "联系我133****3333"


def test_wall_pages(client, finished):
    page = client.get(reverse("participation:wall")).content.decode()
    assert "修好楼道灯" in page and "住房和城乡建设局" in page
    assert 'href="#face-satisfied"' in page and "满意" in page
    ct = ContentType.objects.get_for_model(MicroWish).pk
    url = reverse("participation:wall-rate", args=[ct, finished.pk])
    client.post(url, {"phone": "13300004444", "action": "send_code"})
    code = sms.last_code_for("13300004444")
    r = client.post(
        url, {"phone": "13300004444", "code": code, "value": "satisfied", "action": "rate"}
    )
    assert "感谢您的评价" in r.content.decode()
    finished.refresh_from_db()
    assert finished.rating_satisfied == 1


def test_unfinished_item_has_no_rating_page(client, office, node):
    wish = services.wish_post(actor=office, village=node("T01V01"), title="x", name="李四")
    ct = ContentType.objects.get_for_model(MicroWish).pk
    assert client.get(reverse("participation:wall-rate", args=[ct, wish.pk])).status_code == 404
    assert client.get(reverse("participation:wall-rate", args=[9999, 1])).status_code == 404
