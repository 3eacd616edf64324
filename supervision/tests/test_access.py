"""Who reads what: units their own notices, discipline inspection only referrals."""

from __future__ import annotations

import io

import pytest
from docx import Document

from core.errors import NotFound, PermissionDenied
from orgs.models import Role
from supervision import jobs, selectors, services
from supervision.models import Notice, Referral

from .conftest import TODAY, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated(make_widget, node, handler, discipline):
    ours = make_widget(deadline=days_ago(30), title="老旧小区加装电梯")
    theirs = make_widget(deadline=days_ago(2), owner=node("D01"), title="学校食堂整改")
    jobs.run_all(TODAY)
    return ours, theirs


def test_unit_sees_only_its_own_notices(escalated, handler, client):
    ours, theirs = escalated
    mine = Notice.objects.get(item_id=ours.pk)
    other = Notice.objects.get(item_id=theirs.pk)
    assert list(selectors.notices_for(handler)) == [mine]
    client.force_login(handler)
    page = client.get("/supervision/notices/").content.decode()
    assert mine.number in page and other.number not in page
    assert client.get(f"/supervision/notices/{mine.pk}/").status_code == 200
    assert client.get(f"/supervision/notices/{other.pk}/").status_code == 404
    with pytest.raises(NotFound):
        services.notice_answer(actor=handler, notice_id=other.pk, answer="这不是我们单位的督办单")


def test_unit_answers_in_writing(escalated, handler, client):
    ours, _ = escalated
    notice = Notice.objects.get(item_id=ours.pk)
    client.force_login(handler)
    bad = client.post(f"/supervision/notices/{notice.pk}/", {"answer": "马上办"})
    assert "不少于10个字" in bad.content.decode()
    notice.refresh_from_db()
    assert notice.status == "open"
    client.post(
        f"/supervision/notices/{notice.pk}/",
        {"answer": "已召开专题会，12月10日前完成电梯安装验收。"},
    )
    notice.refresh_from_db()
    assert notice.status == "answered" and notice.answered_by == handler
    from supervision.tests.test_ladder import entries

    assert entries(ours, "supervision.notice_answer").get().note.startswith("已召开专题会")
    from core.errors import WorkflowError

    with pytest.raises(WorkflowError):
        services.notice_answer(actor=handler, notice_id=notice.pk, answer="再答复一次可以吗？不行")


def test_another_town_gets_404_for_a_notice(escalated, make_user, client):
    ours, _ = escalated
    notice = Notice.objects.get(item_id=ours.pk)
    client.force_login(make_user("T04", Role.OFFICE, Role.UNIT_HANDLER))
    assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 404


def test_discipline_reads_referrals_and_the_dossier(escalated, discipline, client):
    ours, _ = escalated
    referral = Referral.objects.get(item_id=ours.pk)
    client.force_login(discipline)
    page = client.get("/supervision/referrals/")
    assert page.status_code == 200 and "老旧小区加装电梯" in page.content.decode()
    resp = client.get(f"/supervision/referrals/{referral.pk}/dossier.docx")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.content))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells
    )
    assert "老旧小区加装电梯" in text and "移送纪委" in text and "督办单" in text
    assert Notice.objects.get(item_id=ours.pk).number in text


def test_discipline_reads_only_referrals(escalated, discipline, client):
    ours, _ = escalated
    client.force_login(discipline)
    assert client.get("/supervision/").status_code == 403
    assert client.get("/supervision/notices/").status_code == 403
    notice = Notice.objects.get(item_id=ours.pk)
    assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 403
    assert client.get(f"/supervision/items/kernelapp.widget/{ours.pk}/").status_code == 404


def test_others_cannot_read_referrals(escalated, office, handler, client):
    ours, _ = escalated
    referral = Referral.objects.get(item_id=ours.pk)
    for user in (office, handler):
        with pytest.raises(PermissionDenied):
            selectors.referrals_for(user)
        client.force_login(user)
        assert client.get("/supervision/referrals/").status_code == 403
        assert client.get(f"/supervision/referrals/{referral.pk}/dossier.docx").status_code == 403


def test_discipline_of_another_county_part_sees_nothing_outside(escalated, make_user):
    # a town-level discipline officer sees only referrals of units in the town
    town_discipline = make_user("T04", Role.DISCIPLINE)
    assert not selectors.referrals_for(town_discipline).exists()


def test_board_counts_and_lagging_units_first(escalated, office, client):
    client.force_login(office)
    page = client.get("/supervision/").content.decode()
    assert "督办看板" in page and "住房和城乡建设局" in page
    data = selectors.board(office)
    widget = next(k for k in data["kinds"] if k["key"] == "kernelapp.widget")
    assert dict((s, n) for s, _l, n in widget["status"])["overdue"] == 2
    assert data["units"][0]["name"] in ("住房和城乡建设局", "教育局")
    assert dict((lv, n) for lv, _l, n in data["levels"])[5] == 1


def test_town_office_board_is_scoped(escalated, make_user):
    data = selectors.board(make_user("T04", Role.OFFICE))
    assert data["totals"]["open"] == 0 and data["units"] == []


def test_bell_shows_unread_count(escalated, handler, client):
    client.force_login(handler)
    page = client.get("/").content.decode()
    assert "条未读" in page
    count = handler.notifications.filter(read_at__isnull=True).count()
    assert count >= 1 and f"通知：{count}条未读" in page
    client.post("/supervision/notifications/")
    assert "通知：0条未读" in client.get("/").content.decode()
