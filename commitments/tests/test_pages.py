"""The staff pages through HTTP: lists, board, detail actions, reports, ledger up/download."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from commitments import services
from commitments.models import Commitment, ProgressReport, ReportKind, ReportStatus
from commitments.tests.conftest import photo
from orgs.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(make_item, office, handler):
    item = make_item()
    item = services.commitment_publish(actor=office, commitment=item)
    return services.commitment_start(actor=handler, commitment=item)


def test_programme_pages_render(client, office, running, programme):
    client.force_login(office)
    for name in ("programme", "board", "rectification"):
        page = client.get(reverse(f"commitments:{name}", args=[programme.pk]))
        assert (
            page.status_code == 200
            and "老旧小区改造" in page.content.decode()
            or name == "rectification"
        )
    page = client.get(reverse("commitments:programme", args=[programme.pk]) + "?view=unit")
    assert "住房和城乡建设局" in page.content.decode()
    board = client.get(reverse("commitments:board", args=[programme.pk])).content.decode()
    assert 'class="btile run"' in board
    assert "项目清单" in client.get(reverse("commitments:programmes")).content.decode()
    home = client.get(reverse("staff-home")).content.decode()
    assert "项目待验收" in home


def test_other_subtree_gets_404_page(client, make_user, running):
    client.force_login(make_user("T04", Role.OFFICE))
    response = client.get(reverse("commitments:detail", args=[running.pk]))
    assert response.status_code == 404
    assert "未找到该记录，或您无权查看" in response.content.decode()
    missing = client.get(reverse("commitments:detail", args=[999_999]))
    assert missing.status_code == 404 and "未找到该记录，或您无权查看" in missing.content.decode()


def test_complete_and_accept_through_pages(client, handler, office, running):
    client.force_login(handler)
    detail = client.get(reverse("commitments:detail", args=[running.pk])).content.decode()
    assert "申报完成" in detail and "验收通过" not in detail
    url = reverse("commitments:act", args=[running.pk, "complete"])
    response = client.post(url, {"note": "全部完工"}, follow=True)
    assert "申报完成须上传佐证材料" in response.content.decode()
    assert Commitment.objects.get(pk=running.pk).state == "in_progress"
    client.post(url, {"note": "全部完工", "evidence": photo()})
    assert Commitment.objects.get(pk=running.pk).state == "completed"
    client.force_login(office)
    detail = client.get(reverse("commitments:detail", args=[running.pk])).content.decode()
    assert "验收通过" in detail and "现场.png" in detail
    client.post(reverse("commitments:act", args=[running.pk, "accept"]), {"note": ""})
    assert Commitment.objects.get(pk=running.pk).state == "accepted"


def test_create_form_shows_chinese_errors(client, office, programme, node):
    client.force_login(office)
    url = reverse("commitments:create", args=[programme.pk])
    response = client.post(
        url, {"kind": "project", "title": "新项目", "owner_unit": node("D05").pk}
    )
    assert "请填写完成时限" in response.content.decode()
    assert Commitment.objects.count() == 0
    response = client.post(
        url,
        {
            "kind": "project",
            "title": "新项目",
            "owner_unit": node("D05").pk,
            "deadline": "2026-12-31",
        },
    )
    assert response.status_code == 302 and Commitment.objects.get().title == "新项目"


def test_report_filing_with_photo_and_approval(client, handler, head, running):
    slot = ProgressReport.objects.create(
        programme=running.programme,
        kind=ReportKind.MONTHLY,
        commitment=running,
        unit=running.owner_unit,
        period="2099-01",
        period_start=dt.date(2099, 1, 1),
        due_date=dt.date(2099, 1, 26),
    )
    client.force_login(handler)
    due_page = client.get(reverse("commitments:reports-due")).content.decode()
    assert "老旧小区改造" in due_page and "填报" in due_page
    url = reverse("commitments:report", args=[slot.pk])
    response = client.post(url, {"narrative": "", "percent": "150"})
    body = response.content.decode()
    assert "请填写进展情况" in body
    client.post(url, {"narrative": "完成10个小区", "percent": "30", "photos": photo()})
    slot.refresh_from_db()
    assert slot.status == ReportStatus.SUBMITTED and slot.photos.count() == 1
    photo_url = reverse("commitments:photo", args=[slot.photos.get().pk])
    assert client.get(photo_url).status_code == 200
    client.force_login(head)
    assert "审核通过" in client.get(url).content.decode()
    client.post(reverse("commitments:report-decide", args=[slot.pk, "approve"]))
    slot.refresh_from_db()
    assert slot.status == ReportStatus.APPROVED
    assert Commitment.objects.get(pk=running.pk).progress_percent == 30


def test_photo_of_another_unit_is_404(client, make_user, handler, running):
    slot = ProgressReport.objects.create(
        programme=running.programme,
        kind=ReportKind.MONTHLY,
        commitment=running,
        unit=running.owner_unit,
        period="2099-01",
        period_start=dt.date(2099, 1, 1),
        due_date=dt.date(2099, 1, 26),
    )
    services.report_submit(actor=handler, report=slot, narrative="x", percent=1, photos=[photo()])
    client.force_login(make_user("D01", Role.UNIT_HANDLER))
    assert client.get(reverse("commitments:photo", args=[slot.photos.get().pk])).status_code == 404
    assert client.get(reverse("commitments:report", args=[slot.pk])).status_code == 404


def test_punctuality_page_for_office_only(client, office, handler):
    client.force_login(handler)
    assert client.get(reverse("commitments:punctuality")).status_code == 403
    client.force_login(office)
    page = client.get(reverse("commitments:punctuality")).content.decode()
    assert "按时报送率" in page and "<title>报送情况 ·" in page


def test_download_and_upload(client, office, running, programme):
    client.force_login(office)
    response = client.get(reverse("commitments:export", args=[programme.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    wb = load_workbook(io.BytesIO(data))
    assert wb["项目清单"]["B2"].value == "老旧小区改造"
    upload = io.BytesIO(data)
    upload.name = "台账.xlsx"
    response = client.post(
        reverse("commitments:import"),
        {"programme": programme.pk, "file": upload},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    result = response.json()
    assert result["ok"] and result["errors"] == [] and "未变化1项" in result["summary"]
    bad = io.BytesIO(b"garbage")
    bad.name = "x.xlsx"
    response = client.post(reverse("commitments:import"), {"programme": programme.pk, "file": bad})
    assert "无法读取该文件" in response.content.decode()


def test_handler_cannot_open_import(client, handler):
    client.force_login(handler)
    assert client.get(reverse("commitments:import")).status_code == 403


def test_problem_form_and_measure_link(client, office, programme, node):
    client.force_login(office)
    url = reverse("commitments:rectification", args=[programme.pk])
    response = client.post(url, {"level": "team", "text": "", "unit": node("D05").pk})
    assert "请填写检视问题" in response.content.decode()
    response = client.post(url, {"level": "team", "text": "调研不深入", "unit": node("D05").pk})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "调研不深入" in page and "制定整改措施" in page
    assert "领导班子检视问题1条" in page


def test_edit_and_item_list(client, office, running):
    client.force_login(office)
    url = reverse("commitments:edit", args=[running.pk])
    form = client.get(url).content.decode()
    assert "老旧小区改造" in form
    response = client.post(
        url,
        {
            "kind": "project",
            "title": "老旧小区改造（二期）",
            "owner_unit": running.owner_unit_id,
            "deadline": "2026-12-31",
            "target_quantity": "36",
            "target_unit": "个小区",
        },
    )
    assert response.status_code == 302
    assert Commitment.objects.get(pk=running.pk).title == "老旧小区改造（二期）"
    listing = client.get(reverse("commitments:items") + "?state=in_progress").content.decode()
    assert "老旧小区改造（二期）" in listing
    assert (
        "老旧小区改造（二期）"
        not in client.get(reverse("commitments:items") + "?state=closed").content.decode()
    )


def test_published_items_are_public(running):
    assert running.is_public


def test_import_progress_is_per_user(client, office, make_user):
    from django.core.cache import cache

    cache.set(f"ledger-import:{office.pk}:abc123", {"stage": "check", "done": 50, "total": 200})
    client.force_login(office)
    url = reverse("commitments:import-progress")
    assert client.get(url + "?token=abc123").json()["done"] == 50
    client.force_login(make_user("C", Role.OFFICE))
    assert client.get(url + "?token=abc123").json()["done"] == 0


def test_detail_links_source_cases(client, office, running):
    from commitments.models import CommitmentSourceCase

    CommitmentSourceCase.objects.create(commitment=running, case_id=4242)
    client.force_login(office)
    page = client.get(reverse("commitments:detail", args=[running.pk])).content.decode()
    assert "来源诉求" in page and "4242" in page


def test_office_creates_a_programme(client, office, handler):
    from commitments.models import Programme

    client.force_login(office)
    url = reverse("commitments:programmes")
    response = client.post(url, {"name": "", "year": "2027"})
    assert "请填写清单名称" in response.content.decode()
    response = client.post(url, {"name": "2027年民生实事项目清单", "year": "2027"})
    programme = Programme.objects.get(name="2027年民生实事项目清单")
    assert response.status_code == 302 and programme.monthly_due_day == 25
    assert programme.weekly_due_weekday == 3
    response = client.post(url, {"name": "2027年民生实事项目清单", "year": "2027"})
    assert "已有同名清单" in response.content.decode()
    client.force_login(handler)
    response = client.post(url, {"name": "2028年清单", "year": "2028"})
    assert response.status_code == 403 and not Programme.objects.filter(year=2028).exists()
