"""晒清单: published commitments on the public board, filters, the 督办中 mark, each
commitment's public page, unit figures, case results (masked), polls over commitments."""

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from commitments import services as cs
from commitments.models import Commitment
from orgs.models import Role
from participation import services
from tracking.models import EscalationLevel

pytestmark = pytest.mark.django_db


def photo():
    from PIL import Image

    buf = io.BytesIO()
    img = Image.new("RGB", (50, 40), (0, 128, 0))
    exif = Image.Exif()
    exif[0x013B] = "拍摄人赵某某"
    img.save(buf, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("现场.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def programme(office):
    return cs.programme_create(actor=office, name="2026年我为群众办实事项目清单", year=2026)


@pytest.fixture
def make_commitment(office, programme, node):
    def make(title, unit="D05", state="in_progress", **data):
        return cs.commitment_create(
            actor=office,
            programme=programme,
            state=state,
            data={
                "title": title,
                "owner_unit": node(unit),
                "deadline": dt.date(2026, 12, 31),
                "target_quantity": 100,
                "target_unit": "户",
                **data,
            },
        )

    return make


@pytest.fixture
def finished(make_commitment, make_user, office, node):
    handler = make_user("D05", Role.UNIT_HANDLER)
    item = make_commitment("老旧小区改造", state="in_progress")
    item = cs.commitment_complete(actor=handler, commitment=item, note="已完工", evidence=[photo()])
    return cs.commitment_accept(actor=office, commitment=item, note="验收合格")


def test_board_lists_published_not_drafts(client, make_commitment):
    make_commitment("城区供水管网改造", progress_percent=40)
    make_commitment("草稿中的项目", state="draft")
    page = client.get(reverse("participation:board")).content.decode()
    assert "城区供水管网改造" in page and "完成 40%" in page
    assert "草稿中的项目" not in page
    draft = Commitment.objects.get(title="草稿中的项目")
    assert client.get(reverse("participation:commitment", args=[draft.pk])).status_code == 404


def test_supervised_mark_and_filters(client, make_commitment, node):
    lagging = make_commitment("乡村公路护栏", unit="T04")
    Commitment.objects.filter(pk=lagging.pk).update(escalation_level=EscalationLevel.MEDIA)
    make_commitment("社区食堂", unit="T01")
    make_commitment("中小学校舍改造", unit="D01", state="completed")
    url = reverse("participation:board")
    page = client.get(url).content.decode()
    assert page.count('class="mark">督办中') == 1
    assert '乡村公路护栏</a> <span class="mark">督办中' in page
    supervised = client.get(url, {"status": "supervised"}).content.decode()
    assert "乡村公路护栏" in supervised and "社区食堂" not in supervised
    town = client.get(url, {"town": node("T01").pk}).content.decode()
    assert "社区食堂" in town and "乡村公路护栏" not in town
    done = client.get(url, {"status": "completed"}).content.decode()
    assert "中小学校舍改造" in done and "社区食堂" not in done
    search = client.get(url, {"q": "食堂"}).content.decode()
    assert "社区食堂" in search and "乡村公路护栏" not in search


def test_commitment_page_public_timeline_and_photo(client, finished):
    page = client.get(reverse("participation:commitment", args=[finished.pk])).content.decode()
    assert "老旧小区改造" in page and "已验收" in page and "住房和城乡建设局" in page
    assert "申报完成" in page and "验收通过" in page  # public timeline entries
    assert "立项" not in page.split("公开纪实")[1]  # internal entries stay internal
    assert "我来评价" in page
    src = page.split('src="/p/evidence/')[1].split('"')[0]
    r = client.get(f"/p/evidence/{src}")
    from PIL import Image

    img = Image.open(io.BytesIO(r.content))
    assert r["Content-Type"] == "image/jpeg" and not img.getexif()
    assert "赵某某".encode() not in r.content


def test_resident_rates_finished_commitment(client, finished, verify):
    ct = ContentType.objects.get_for_model(Commitment).pk
    phone = verify("13811112222", services.PURPOSE_RATE)
    services.wall_rate(item=finished, value="satisfied", phone=phone)
    finished.refresh_from_db()
    assert finished.rating_satisfied == 1
    wall = client.get(reverse("participation:wall")).content.decode()
    assert "老旧小区改造" in wall and f"/wall/rate/{ct}/{finished.pk}/" in wall
    units = client.get(reverse("participation:units")).content.decode()
    assert "住房和城乡建设局" in units and "100.0%" in units


def test_unfinished_commitment_cannot_be_rated(make_commitment, verify):
    from core.errors import WorkflowError

    item = make_commitment("推进中的项目")
    phone = verify("13811113333", services.PURPOSE_RATE)
    with pytest.raises(WorkflowError, match="尚未办结"):
        services.wall_rate(item=item, value="satisfied", phone=phone)


def test_poll_over_commitments(client, office, finished, make_commitment, verify):
    other = make_commitment("社区食堂", state="completed")
    draft = make_commitment("草稿", state="draft")
    now = timezone.now()
    poll = services.poll_create(
        actor=office, title="最满意项目", starts_at=now, ends_at=now + dt.timedelta(days=5)
    )
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="已公开"):
        services.poll_option_add(actor=office, poll=poll, title="草稿", target=draft)
    a = services.poll_option_add(actor=office, poll=poll, title=finished.title, target=finished)
    services.poll_option_add(actor=office, poll=poll, title=other.title, target=other)
    # the office's option picker offers published commitments only
    client.force_login(office)
    staff = client.get(reverse("participation:staff-poll", args=[poll.pk])).content.decode()
    assert "民生实事项目 · 老旧小区改造" in staff and "民生实事项目 · 草稿" not in staff
    client.logout()
    services.poll_open(actor=office, poll=poll)
    assert a.target == finished
    phone = verify("13811114444", services.PURPOSE_VOTE)
    services.poll_vote(poll=poll, option_ids=[a.pk], phone=phone)
    page = client.get(reverse("participation:commitment", args=[finished.pk])).content.decode()
    assert "最满意项目" in page and "1票" in page


def test_case_results_masked(client, make_user, node):
    from cases import services as case_services
    from cases.models import Case

    grid = make_user("T01V01", Role.GRID_WORKER)
    [case] = case_services.case_intake(
        actor=grid,
        channel="visit",
        items=[
            {
                "text": "路灯不亮，联系电话13999998888，住幸福路18号",
                "kind": "request",
                "place": node("T01V01G1"),
                "name": "钱多多",
                "phone": "13999998888",
                "address": "幸福路18号",
            }
        ],
    )
    Case.objects.filter(pk=case.pk).update(
        state="closed",
        is_public=True,
        owner_unit=node("D14"),
        result="已更换灯具，联系人钱多多13999998888",
        replied_at=timezone.now(),
    )
    page = client.get(reverse("participation:case-results")).content.decode()
    assert "已更换灯具" in page and "城关街道" in page
    for secret in ("钱多多", "13999998888", "幸福路18号"):
        assert secret not in page
    assert "139****8888" in page
    Case.objects.filter(pk=case.pk).update(is_public=False)
    assert "已更换灯具" not in client.get(reverse("participation:case-results")).content.decode()


def test_case_converts_to_microwish(office, make_user, node):
    from cases import services as case_services

    grid = make_user("T01V01", Role.GRID_WORKER)
    [case] = case_services.case_intake(
        actor=grid,
        channel="visit",
        items=[
            {
                "text": "独居老人想要一台收音机",
                "kind": "wish",
                "place": node("T01V01"),
                "name": "孙大爷",
                "phone": "13911110000",
            }
        ],
    )
    wish = case_services.case_convert(actor=office, case=case, target="microwish")
    assert wish.state == "approved" and wish.source_case_id == case.pk
    assert wish.wisher_label == "孙**" and wish.contact.phone == "13911110000"
