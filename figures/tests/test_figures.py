import datetime as dt
import io

import pytest
from django.template import Context, Template
from django.urls import reverse
from openpyxl import load_workbook

from figures import jobs, selectors
from figures.models import CaseMonthly, ScoreWeights
from figures.periods import parse_period
from figures.sentences import Num, all_sentences, case_sentence, html_of, text_of
from orgs.models import Role
from tracking import workdays
from tracking.models import PersonalDataAccess

from . import fixtures as fx

pytestmark = pytest.mark.django_db
OCT = parse_period("2026-10")


@pytest.fixture
def cases(db):
    rows = fx.build()
    jobs.rollup_refresh(full=True, today=fx.TODAY)
    return rows


def test_the_holiday_is_known_to_the_calendar():
    assert not workdays.is_workday(dt.date(2026, 10, 2))
    assert workdays.add_working_days(dt.date(2026, 10, 1), 1) == dt.date(2026, 10, 8)


def test_hand_counted_town_figures(cases, node):
    f = selectors.case_figures(node("T01"), OCT)
    assert f.sums == fx.T01_OCT
    assert f.rates == fx.T01_OCT_RATES


def test_period_boundaries(cases, node):
    sep = selectors.case_figures(node("T01"), parse_period("2026-09")).sums
    nov = selectors.case_figures(node("T01"), parse_period("2026-11")).sums
    assert sep["received"] == 1 and sep["resolved"] == 1  # c4 at 23:30 on Sep 30
    assert nov["received"] == 1 and nov["accepted"] == 0  # c6 at 00:00:30 on Nov 1
    year = selectors.case_figures(node("T01"), parse_period("2026")).sums
    assert year["received"] == 12


def test_county_village_and_unit_axes(cases, node):
    county = selectors.case_figures(node("C"), OCT).sums
    assert county["received"] == 11 and county["resolved"] == 4 and county["satisfied"] == 3
    village = selectors.case_figures(node("T01V01"), OCT).sums
    # c1 c3 c5(grid below) c8 c9 c11 c12
    assert village["received"] == 7
    unit = selectors.case_figures(node("D05"), OCT).sums  # department: owned cases
    assert unit["received"] == 5 and unit["resolved"] == 3 and unit["reopened"] == 1


def test_drill_down_lists_match_every_number(cases, node, make_user):
    office = make_user("C", Role.OFFICE)
    t01 = node("T01")
    for measure, expected in fx.T01_OCT.items():
        listed = selectors.drill_cases(office, t01, OCT, measure=measure)
        if measure in ("rated", "satisfied"):
            ratings = sum(
                c.rating_satisfied
                if measure == "satisfied"
                else c.rating_satisfied + c.rating_neutral + c.rating_unsatisfied
                for c in listed
            )
            assert ratings == expected, measure
        else:
            assert listed.count() == expected, measure
    codes = {
        c.tracking_code for c in selectors.drill_cases(office, t01, OCT, measure="signed_in_time")
    }
    assert codes == {cases[k].tracking_code for k in ("c1", "c2", "c7", "c11")}


def test_job_is_idempotent_and_incremental(cases, node):
    before = sorted(
        CaseMonthly.objects.values_list(
            "month", "axis", "node_id", "category_id", "received", "resolved"
        )
    )
    second = jobs.rollup_refresh(today=fx.TODAY)
    assert second["months"] == []
    after = sorted(
        CaseMonthly.objects.values_list(
            "month", "axis", "node_id", "category_id", "received", "resolved"
        )
    )
    assert before == after
    # a change to an October case rebuilds October only
    c = cases["c3"]
    c.state = "replied"
    c.replied_at = fx.at(11, 20)
    c.save()
    third = jobs.rollup_refresh(today=fx.TODAY)
    assert third["months"] == ["2026-10"]
    assert selectors.case_figures(node("T01"), OCT).sums["resolved"] == 4


def test_overdue_follows_the_day(cases, node):
    c = cases["c7"]
    c.deadline = dt.date(2026, 11, 26)
    c.save()
    jobs.rollup_refresh(today=fx.TODAY)
    assert selectors.case_figures(node("T01"), OCT).sums["overdue"] == 1
    res = jobs.rollup_refresh(today=dt.date(2026, 11, 27))  # nothing saved, a day passed
    assert res["months"] == ["2026-10"]
    assert selectors.case_figures(node("T01"), OCT).sums["overdue"] == 2


def test_ranking_with_weights_and_change(cases, node, make_user):
    rows = selectors.ranking(node("C"), OCT, kind="places")
    assert [r["node"].code for r in rows] == ["T02", "T01"]
    assert rows[0]["score"] == 100.0
    assert rows[1]["score"] == 52.62  # (20×57.14 + 30×42.86 + 30×50 + 20×66.67) / 100
    assert rows[1]["prev_rank"] == 1 and rows[1]["change"] == -1  # first in September
    assert rows[0]["change"] is None  # no September cases: new
    ScoreWeights.objects.update_or_create(
        pk=1, defaults=dict(response=0, resolution=0, satisfaction=100, on_time=0)
    )
    rows = selectors.ranking(node("C"), OCT, kind="places")
    assert rows[1]["score"] == 50.0
    units = selectors.ranking(node("C"), OCT, kind="units")
    assert {r["node"].code for r in units} == {"D05", "D07"}


# The sentence as the dashboard's template wrote it, part by part.
SENTENCE_TEMPLATE = Template(
    '<p class="sentence">{% for part in s %}{% if part.value is not None or part.url %}'
    '<a class="num" href="{{ part.url }}">{{ part.text }}</a>{% elif part.text %}'
    "{{ part.text }}{% else %}{{ part }}{% endif %}{% endfor %}</p>"
)


def test_sentence_html_is_what_the_template_wrote(cases, node):
    sentences = all_sentences(node("C"), OCT) + all_sentences(node("T01"), OCT)
    sentences.append(["<b>未转义</b>", Num(None), Num(None, "/x?a=1&b=2"), Num(12.5, "", "%"), ""])
    assert len(sentences) >= 3
    for parts in sentences:
        assert f'<p class="sentence">{html_of(parts)}</p>' == SENTENCE_TEMPLATE.render(
            Context({"s": parts})
        )


def test_dashboard_tables_link_each_count_to_its_cases(cases, node, make_user, client):
    client.force_login(make_user("C", Role.OFFICE))
    county, t01 = node("C"), node("T01")
    r = client.get(reverse("figures:dashboard"), {"node": county.pk, "period": "2026-10"})
    page = r.content.decode()
    drill = reverse("figures:cases")
    here = f"?node={t01.pk}&amp;period=2026-10"
    assert f'<td><a href="{here}">{t01.name}</a></td>' in page
    received = selectors.case_figures(t01, OCT).sums["received"]
    assert f'<a href="{drill}{here}&amp;measure=received">{received}</a>' in page
    assert "%</td>" in page  # rates with two decimals
    # the fixture's cases are uncategorised: the row links without a category
    county_here = f"?node={county.pk}&amp;period=2026-10"
    assert (
        f'<td>未分类</td>\n      <td><a href="{drill}{county_here}&amp;measure=received">' in page
    )


def test_sentence_numbers_and_links(cases, node, make_user, client):
    parts = case_sentence(node("T01"), OCT)
    text = text_of(parts)
    assert "共收到群众诉求10件" in text and "已办结3件" in text and "解决率达42.86%" in text
    links = [p.url for p in parts if hasattr(p, "url") and p.url]
    assert links and all("node=" in u and "period=2026-10" in u for u in links)
    client.force_login(make_user("C", Role.OFFICE))
    page = client.get(links[0]).content.decode()
    inside = ["c1", "c2", "c3", "c5", "c7", "c8", "c9", "c10", "c11", "c12"]
    assert all(cases[k].tracking_code in page for k in inside)
    assert not any(cases[k].tracking_code in page for k in ("c4", "c6", "c13"))


def test_town_sees_only_its_subtree(cases, node, make_user, client):
    town = make_user("T02", Role.OFFICE)
    client.force_login(town)
    r = client.get(reverse("figures:dashboard"), {"period": "2026-10"})
    assert r.status_code == 200
    assert r.context["stats"][0][1] == 1  # only c13
    assert client.get(reverse("figures:dashboard"), {"node": node("T01").pk}).status_code == 404
    assert client.get(reverse("figures:cases"), {"node": node("T01").pk}).status_code == 404
    assert (
        client.get(
            reverse("figures:ranking"), {"node": node("C").pk, "period": "2026-10"}
        ).status_code
        == 404
    )
    listed = client.get(reverse("figures:cases"), {"period": "2026-10"}).content.decode()
    assert cases["c13"].tracking_code in listed and cases["c1"].tracking_code not in listed


def _export_rows(client, params):
    r = client.get(reverse("figures:cases"), {**params, "export": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    return list(ws.iter_rows(values_only=True))


def test_export_masks_contact_without_the_right(cases, node, make_user, client):
    inspector = make_user("C", Role.INSPECTOR)
    client.force_login(inspector)
    rows = _export_rows(
        client, {"node": node("T01").pk, "period": "2026-10", "measure": "resolved"}
    )
    flat = "".join(str(v) for row in rows for v in row if v)
    assert "张**" in flat and "138****1234" in flat
    assert "张三丰" not in flat and "13812341234" not in flat and "幸福路" not in flat
    assert PersonalDataAccess.objects.count() == 0


def test_export_shows_contact_to_the_office_and_logs_it(cases, node, make_user, client):
    office = make_user("C", Role.OFFICE)
    client.force_login(office)
    rows = _export_rows(
        client, {"node": node("T01").pk, "period": "2026-10", "measure": "resolved"}
    )
    flat = "".join(str(v) for row in rows for v in row if v)
    assert "张三丰" in flat and "13812341234" in flat and "幸福路8号" in flat
    assert PersonalDataAccess.objects.filter(actor=office, item_id=cases["c1"].pk).count() == 1


def test_figure_tables_export(cases, node, make_user, client):
    client.force_login(make_user("C", Role.OFFICE))
    r = client.get(reverse("figures:dashboard"), {"period": "2026-10", "export": "places"})
    ws = load_workbook(io.BytesIO(r.content)).active
    data = {row[0]: row for row in ws.iter_rows(values_only=True) if row and row[0]}
    t01 = node("T01").name
    assert data[t01][1] == 10 and data[t01][4] == 3
    r = client.get(reverse("figures:ranking"), {"period": "2026-10", "export": "1"})
    ws = load_workbook(io.BytesIO(r.content)).active
    ranks = [row for row in ws.iter_rows(values_only=True) if row and isinstance(row[0], int)]
    assert [r_[1] for r_ in ranks] == [node("T02").name, t01]


def test_live_and_rolled_up_figures_agree(cases, node):
    county = selectors.case_by_category(node("C"), OCT)  # rollup rows
    town = selectors.case_by_category(node("T01"), OCT)  # counted live
    assert sum(r["received"] for r in county) == 11
    assert sum(r["received"] for r in town) == 10
    children = {c["node"].code: c["received"] for c in selectors.case_by_child(node("T01"), OCT)}
    assert children["T01V01"] == 7 and children["T01V02"] == 3  # villages: live
    trend = selectors.case_trend(node("T01V01"), [fx.d(9, 1), fx.d(10, 1), fx.d(11, 1)])
    assert [t["received"] for t in trend] == [1, 7, 1]
    unit = selectors.case_by_category(node("D05"), OCT)
    assert sum(r["received"] for r in unit) == 5


def test_activity_links_the_cases_it_produced(cases, node, make_user):
    from core.errors import InvalidInput, NotFound
    from figures import services
    from figures.models import ActivityCase

    town = make_user("T01", Role.OFFICE)
    a = services.activity_record(
        actor=town,
        date=fx.d(10, 9),
        place_id=node("T01V01").pk,
        kind="forum",
        title="民生实事议事座谈会",
        problems_collected=2,
    )
    codes = [cases["c1"].tracking_code, cases["c12"].tracking_code.lower()]
    assert services.activity_link_cases(actor=town, activity_id=a.pk, tracking_codes=codes) == 2
    assert services.activity_link_cases(actor=town, activity_id=a.pk, tracking_codes=codes[:1]) == 0
    with pytest.raises(InvalidInput):  # another town's case reads as unknown
        services.activity_link_cases(
            actor=town, activity_id=a.pk, tracking_codes=[cases["c13"].tracking_code]
        )
    with pytest.raises(InvalidInput):
        services.activity_link_cases(actor=town, activity_id=a.pk, tracking_codes=[" "])
    with pytest.raises(NotFound):
        services.activity_link_cases(
            actor=make_user("T02", Role.OFFICE), activity_id=a.pk, tracking_codes=codes
        )
    assert ActivityCase.objects.count() == 2
    f = selectors.activity_figures(node("T01"), OCT)
    assert f["cases_linked"] == 2 and f["cases_resolved"] == 1  # c1 closed, c12 waiting
    listed = selectors.drill_cases(town, node("T01"), OCT, measure="resolved", activity=True)
    assert [c.tracking_code for c in listed] == [cases["c1"].tracking_code]


def test_commitment_list_export(cases, node, make_user, client):
    from commitments.models import Commitment, Programme

    prog = Programme.objects.create(name="2026年清单", year=2026)
    for i, unit in enumerate(("D05", "D07")):
        Commitment.objects.create(
            programme=prog,
            title=f"项目{i}",
            place=node("C"),
            owner_unit=node(unit),
            state="in_progress",
        )
    client.force_login(make_user("D05", Role.UNIT_HEAD))
    r = client.get(reverse("figures:commitments"), {"export": "1"})
    ws = load_workbook(io.BytesIO(r.content)).active
    titles = [row[1] for row in ws.iter_rows(values_only=True)]
    assert "项目0" in titles and "项目1" not in titles


def test_volunteers_and_discipline_do_not_read_figures(cases, node, make_user, client):
    for role, code in ((Role.VOLUNTEER, "T01V01"), (Role.DISCIPLINE, "D23")):
        client.force_login(make_user(code, role))
        assert client.get(reverse("figures:dashboard")).status_code == 403
        assert client.get(reverse("figures:cases"), {"period": "2026-10"}).status_code == 403


def _rollup_rows():
    rows = CaseMonthly.objects.values_list(
        "month", "axis", "node_id", "is_total", "category_id", *jobs.FIELDS
    )
    return sorted(rows, key=lambda r: (r[:4], r[4] or 0, r[5:]))


def test_moved_cases_leave_their_old_groups(cases, node):
    """A case redispatched to another unit, re-placed in another town or re-classified:
    the incremental run re-counts the group it left too, and ends where a full rebuild does."""
    from taxonomy.models import Category

    other = Category.objects.exclude(pk=cases["c1"].category_id).first()
    c1, c2, c8 = cases["c1"], cases["c2"], cases["c8"]
    c1.owner_unit = node("D07")  # D05 -> D07
    c1.save()
    c2.place = node("T02V01")  # T01 -> T02
    c2.save()
    c8.category = other
    c8.save()
    res = jobs.rollup_refresh(today=fx.TODAY)
    assert res["months"] == ["2026-10"]
    incremental = _rollup_rows()
    assert selectors.case_figures(node("D05"), OCT).sums["received"] == 4
    assert selectors.case_figures(node("D07"), OCT).sums["received"] == 4
    assert selectors.case_figures(node("T01"), OCT).sums["received"] == 9
    assert selectors.case_figures(node("T02"), OCT).sums["received"] == 2
    assert selectors.case_figures(node("C"), OCT).sums["received"] == 11  # county unchanged
    t01_cats = {
        r["category_id"]: r["received"] for r in selectors.case_by_category(node("T01"), OCT)
    }
    assert t01_cats.get(other.pk, 0) >= 1
    jobs.rollup_refresh(full=True, today=fx.TODAY)
    assert _rollup_rows() == incremental
    assert jobs.rollup_refresh(today=fx.TODAY) == {"months": [], "rows": 0}


def test_new_cases_counted_by_id_even_with_an_old_update_mark(cases, node):
    """Rows written straight into the table (imports, bulk loads) with an updated_at
    older than the job's watermark still count: ids above the last counted id."""
    from cases.models import Case

    c = Case.objects.get(pk=cases["c1"].pk)
    c.pk = None
    c.tracking_code = "NEWBULK01"
    c.intake_key = ""
    Case.objects.bulk_create([c])
    Case.objects.filter(tracking_code="NEWBULK01").update(updated_at=fx.at(10, 9))
    jobs.rollup_refresh(today=fx.TODAY)
    assert selectors.case_figures(node("T01"), OCT).sums["received"] == 11


def test_dashboard_cache_follows_the_job_and_activities(cases, node, make_user, client):
    from figures import services

    office = make_user("C", Role.OFFICE)
    client.force_login(office)
    url = reverse("figures:dashboard") + f"?node={node('T01').pk}&period=2026-10"
    assert client.get(url).context["stats"][0][1] == 10
    c = cases["c1"]
    c.place = node("T02V01")
    c.save()
    assert client.get(url).context["stats"][0][1] == 10  # the rollup is as of the last run
    jobs.rollup_refresh(today=fx.TODAY)
    assert client.get(url).context["stats"][0][1] == 9  # the run moved the cache key
    services.activity_record(
        actor=office,
        date=fx.d(10, 9),
        place_id=node("T01V01").pk,
        kind="visit",
        title="入户走访",
        groups_visited=12,
    )
    r = client.get(url)
    assert r.context["activities"]["totals"]["groups"] == 12  # shown at once
    assert "走访居民小组12个" in text_of(r.context["sentences"][0])
