import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.errors import InvalidInput, NotFound, PermissionDenied
from figures import selectors, services
from figures.models import Activity, ScoreWeights
from figures.periods import parse_period
from orgs.models import Role

pytestmark = pytest.mark.django_db


def _record(actor, place, **kw):
    defaults = dict(
        date=timezone.localdate() - dt.timedelta(days=1),
        place_id=place.pk,
        kind="visit",
        title="入户走访",
        people_reached=30,
        participants=5,
        groups_visited=4,
        problems_collected=6,
        suggestions_collected=3,
    )
    defaults.update(kw)
    return services.activity_record(actor=actor, **defaults)


def test_grid_worker_records_a_visit_in_own_subtree(make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    a = _record(grid, node("T01V01"))
    assert a.recorded_by == grid and a.groups_visited == 4 and a.problems_collected == 6


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "  "}, "title"),
        ({"kind": "party"}, "kind"),
        ({"date": "2026-13-40"}, "date"),
        ({"date": timezone.localdate() + dt.timedelta(days=2)}, "date"),
        ({"people_reached": "-3"}, "people_reached"),
        ({"people_reached": "十"}, "people_reached"),
        ({"kind": "lecture", "groups_visited": 0, "problems_collected": 2}, "problems_collected"),
        ({"kind": "forum", "groups_visited": 3}, "groups_visited"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_saved(make_user, node, changes, field):
    grid = make_user("T01V01", Role.GRID_WORKER)
    with pytest.raises(InvalidInput) as e:
        _record(grid, node("T01V01"), **changes)
    assert field in e.value.fields
    assert all("\u4e00" <= ch <= "\u9fff" for ch in e.value.fields[field][0][:1])
    assert Activity.objects.count() == 0


def test_place_outside_subtree_is_refused(make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    with pytest.raises(InvalidInput) as e:
        _record(grid, node("T02V01"))
    assert "place" in e.value.fields
    assert Activity.objects.count() == 0


def test_role_without_recording_right_is_refused(make_user, node):
    volunteer = make_user("T01V01", Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        _record(volunteer, node("T01V01"))


def test_other_town_cannot_open_an_activity_and_gets_not_found(make_user, node, client):
    a = _record(make_user("T01V01", Role.GRID_WORKER), node("T01V01"))
    other = make_user("T02", Role.OFFICE)
    with pytest.raises(NotFound):
        services.access_activity(other, a.pk)
    client.force_login(other)
    r = client.get(reverse("figures:activity", args=[a.pk]))
    missing = client.get(reverse("figures:activity", args=[999999]))
    assert r.status_code == missing.status_code == 404


def test_activity_sums_per_subtree_and_period(make_user, node):
    grid = make_user("T01", Role.OFFICE)
    day = dt.date(2026, 10, 15)
    _record(grid, node("T01V01"), date=day, groups_visited=5, problems_collected=7)
    _record(grid, node("T01V02"), date=day, kind="forum", groups_visited=0, problems_collected=4)
    _record(
        grid,
        node("T01"),
        date=day,
        kind="lecture",
        groups_visited=0,
        problems_collected=0,
        suggestions_collected=0,
        people_reached=100,
    )
    _record(grid, node("T01V01"), date=dt.date(2026, 11, 1), problems_collected=50)  # next month
    _record(make_user("T02", Role.OFFICE), node("T02V01"), date=day, problems_collected=90)
    f = selectors.activity_figures(node("T01"), parse_period("2026-10"))
    assert f["totals"]["sessions"] == 3
    assert f["totals"]["problems"] == 11
    assert f["by_kind"]["visit"]["groups"] == 5
    assert f["by_kind"]["forum"]["sessions"] == 1
    assert f["by_kind"]["lecture"]["people"] == 100
    village = selectors.activity_figures(node("T01V01"), parse_period("2026-10"))
    assert village["totals"]["sessions"] == 1


def test_form_page_records_and_shows_errors(make_user, node, client):
    user = make_user("T01V01", Role.GRID_WORKER)
    client.force_login(user)
    url = reverse("figures:activity-new")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "visit", "date": "", "title": "", "place": node("T01V01").pk})
    assert "请填写活动主题" in bad.content.decode()
    assert Activity.objects.count() == 0
    ok = client.post(
        url,
        {
            "kind": "forum",
            "date": "2026-10-08",
            "title": "民生实事议事座谈会",
            "place": node("T01V01").pk,
            "people_reached": "20",
            "problems_collected": "5",
            "suggestions_collected": "4",
        },
    )
    assert ok.status_code == 302
    assert Activity.objects.get().suggestions_collected == 4


def test_activity_list_export_is_scoped(make_user, node, client):
    day = dt.date(2026, 10, 15)
    _record(make_user("T01", Role.OFFICE), node("T01V01"), date=day, title="一镇走访")
    _record(make_user("T02", Role.OFFICE), node("T02V01"), date=day, title="二镇走访")
    client.force_login(make_user("T01", Role.OFFICE))
    r = client.get(reverse("figures:activities"), {"period": "2026-10", "export": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    titles = [row[2] for row in ws.iter_rows(values_only=True)]
    assert "一镇走访" in titles and "二镇走访" not in titles
    # asking for the other town's node answers not found
    r = client.get(reverse("figures:activities"), {"node": node("T02").pk})
    assert r.status_code == 404


def test_weights_only_county_office_and_valid(make_user, client):
    office = make_user("C", Role.OFFICE)
    w = services.score_weights_update(
        actor=office, response=10, resolution=40, satisfaction=40, on_time=10
    )
    assert ScoreWeights.current().as_dict() == {
        "response": 10,
        "resolution": 40,
        "satisfaction": 40,
        "on_time": 10,
    }
    assert w.updated_by == office
    with pytest.raises(InvalidInput):
        services.score_weights_update(
            actor=office, response=0, resolution=0, satisfaction=0, on_time=0
        )
    with pytest.raises(InvalidInput):
        services.score_weights_update(
            actor=office, response=101, resolution=1, satisfaction=1, on_time=1
        )
    with pytest.raises(PermissionDenied):
        services.score_weights_update(
            actor=make_user("T01", Role.OFFICE), response=1, resolution=1, satisfaction=1, on_time=1
        )
    with pytest.raises(PermissionDenied):
        services.score_weights_update(
            actor=make_user("D05", Role.UNIT_HANDLER),
            response=1,
            resolution=1,
            satisfaction=1,
            on_time=1,
        )
    assert ScoreWeights.current().resolution == 40
    client.force_login(office)
    r = client.post(
        reverse("figures:weights"),
        {"response": "x", "resolution": 1, "satisfaction": 1, "on_time": 1},
    )
    assert "响应率权重须为0到100的整数" in r.content.decode()


def test_period_parsing():
    p = parse_period("2026-10")
    assert p.start == dt.date(2026, 10, 1) and p.end == dt.date(2026, 11, 1)
    assert p.previous().key == "2026-09"
    assert parse_period("2026-01").previous().key == "2025-12"
    assert len(parse_period("2026").months) == 12
    with pytest.raises(InvalidInput):
        parse_period("2026-13")
