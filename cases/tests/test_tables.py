"""The staff case tables (list, search, inbox) built from cases.tables rows show
what the per-cell template showed, for cases in every state, and no more."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.models import Case, State
from tracking import workdays

from .conftest import PHONE_NO

pytestmark = pytest.mark.django_db

# The rows as _table.html rendered them cell by cell from the Case objects.
REFERENCE_ROWS = Template(
    """{% load cases_tags %}{% for c in rows %}
  <tr>{% url 'cases:detail' c.pk as href %}
    <td><a href="{{ href }}">{{ c.tracking_code }}</a></td>
    <td class="title-cell"><a href="{{ href }}">{{ c.display_title }}</a>{% if c.flagged_for_supervision %} <span class="tag danger">督办</span>{% endif %}{% if c.reopen_count %} <span class="tag warn">重办</span>{% endif %}</td>
    <td>{{ c.place_display }}</td>
    <td>{{ c.category.name|default:"—" }}</td>
    <td>{{ c.get_channel_display }}</td>
    <td><span class="tag {{ c.state|state_tone }}">{{ c.state_label }}</span></td>
    <td>{{ c.owner_unit.name|default:"—" }}</td>
    <td>{% if c.deadline %}{{ c.deadline|date:"Y-m-d" }}{% with l=c|deadline_label %}{% if l %}<br><span class="tag {{ c|deadline_tone }}">{{ l }}</span>{% endif %}{% endwith %}{% else %}—{% endif %}</td>
    <td class="small muted">{{ c.collected_at|date:"Y-m-d H:i" }}</td>
  </tr>{% endfor %}"""  # noqa: E501
)


def _rows_html(body: str) -> str:
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.sub(r"\s+", " ", tbody.split("{% empty %}")[0]).strip()


def _reference(cases: list[Case]) -> str:
    return re.sub(r"\s+", " ", REFERENCE_ROWS.render(Context({"rows": cases}))).strip()


@pytest.fixture
def every_state(submit, office, unit_user, node, category):
    """Cases in each state the list shows, with deadlines ahead, due soon and past,
    a grid place, a flag and a reopening."""
    today = timezone.localdate()
    made = {}
    made["submitted"] = submit(text="第一行标题\n第二行")
    made["grid"] = submit(text="网格里的井盖缺失" * 5, place=node("T01V01G2").pk)
    made["accepted"] = services.case_accept(actor=office, case=submit())
    Case.objects.filter(pk=made["accepted"].pk).update(title="已受理的<b>事</b>")
    made["declined"] = services.case_decline(actor=office, case=submit(), reason="不属受理范围")
    made["merged"] = services.case_merge(
        actor=office, case=submit(), into=made["submitted"], note=""
    )
    for key, days in (("dispatched", 10), ("soon", 2), ("today", 0), ("overdue", -4)):
        case = services.case_dispatch(
            actor=office, case=submit(category=category.pk), unit=node("D05")
        )
        Case.objects.filter(pk=case.pk).update(
            deadline=workdays.add_working_days(today, days) if days else today
        )
        made[key] = case
    made["signed"] = services.case_sign(actor=unit_user, case=made["soon"])
    progress = services.case_sign(
        actor=unit_user,
        case=services.case_dispatch(actor=office, case=submit(), unit=node("D05")),
    )
    made["in_progress"] = services.case_note(actor=unit_user, case=progress, note="已到现场")
    replied = services.case_sign(
        actor=unit_user,
        case=services.case_dispatch(actor=office, case=submit(), unit=node("D05")),
    )
    made["replied"] = services.case_reply(actor=unit_user, case=replied, result="已修复。")
    closed = services.case_sign(
        actor=unit_user,
        case=services.case_dispatch(actor=office, case=submit(), unit=node("D05")),
    )
    made["closed"] = services.case_close(
        actor=office, case=services.case_reply(actor=unit_user, case=closed, result="已办结。")
    )
    Case.objects.filter(pk=made["closed"].pk).update(flagged_for_supervision=True, reopen_count=1)
    Case.objects.filter(pk=made["grid"].pk).update(
        collected_at=dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)  # 2 Jan in Shanghai
    )
    return made


def test_list_rows_show_what_the_cell_template_showed(client, office, every_state):
    states = {Case.objects.get(pk=c.pk).state for c in every_state.values()}
    assert {State.SUBMITTED, State.DECLINED, State.MERGED, State.SIGNED, State.CLOSED} <= states
    client.force_login(office)
    body = client.get(reverse("cases:list")).content.decode()
    page = selectors.case_list_page(office, selectors.CaseFilters())
    assert len(page.rows) == len({c.pk for c in every_state.values()})
    assert _rows_html(body) == _reference(page.rows)
    # spot checks of the reference itself
    assert "已超期" in body and "今日到期" in body and "剩余" in body
    assert "2026-01-02 07:30" in body and "第2网格" in body and "督办</span>" in body
    # the resident's name and phone are never on the list
    assert "张三丰" not in body and PHONE_NO not in body and PHONE_NO[-4:] not in body


def test_inbox_and_search_rows_match_too(client, office, unit_user, every_state):
    client.force_login(unit_user)
    for tab in selectors.INBOX_TABS:
        body = client.get(reverse("cases:inbox"), {"tab": tab}).content.decode()
        page = selectors.inbox_page(unit_user, tab=tab)
        assert _rows_html(body) == _reference(page.rows), tab
    client.force_login(office)
    f = selectors.CaseFilters(q="坑洼")
    body = client.get(reverse("cases:list"), {"q": "坑洼"}).content.decode()
    page = selectors.case_list_page(office, f)
    assert page.rows and _rows_html(body) == _reference(page.rows)


def test_rows_stay_within_the_actors_scope(client, town_office, submit, node):
    mine = submit(text="本镇的路灯坏了")
    theirs = submit(text="外镇的路灯坏了", place=node("T04V01").pk)
    client.force_login(town_office)
    body = client.get(reverse("cases:list")).content.decode()
    assert mine.tracking_code in body and theirs.tracking_code not in body
    body = client.get(reverse("cases:list"), {"q": "路灯"}).content.decode()
    assert mine.tracking_code in body and theirs.tracking_code not in body


def test_list_queries_do_not_grow_with_the_rows(client, office, submit, node, category):
    """Related rows come one query per relation, and no column a row shows is
    loaded row by row (LIST_FIELDS)."""
    client.force_login(office)
    url = reverse("cases:list")

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for i in range(n):
            place = node("T01V01G1" if i % 2 else "T04V01").pk
            case = submit(category=category.pk, place=place)
            services.case_dispatch(actor=office, case=case, unit=node("D05"))

    add(2)  # a unit, a category and a grid's village: one query each
    few = count()
    add(10)
    assert count() == few
