"""The access module: subtree scoping, and "not yours" answered as "not found"."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core import errors as core_errors
from core.errors import NotFound
from orgs import access
from orgs.models import OrgNode, Role
from tests.kernelapp.models import Widget

pytestmark = pytest.mark.django_db


def test_subtree_covers_descendants_only(node):
    town = node("T01")
    ids = set(OrgNode.objects.filter(access.subtree_q(town)).values_list("code", flat=True))
    assert "T01" in ids and "T01V01" in ids and "T01V01G1" in ids
    assert not any(code.startswith("T02") for code in ids)
    assert "C" not in ids and "D01" not in ids
    # treebeard agrees with the range query
    assert ids == {n.code for n in OrgNode.objects.get_tree(town)}


def test_town_user_sees_own_items_only(node, make_user):
    mine = Widget.objects.create(title="甲", state="new", place=node("T01V02"))
    theirs = Widget.objects.create(title="乙", state="new", place=node("T04V01"))
    town1 = make_user("T01", Role.OFFICE)
    visible = set(access.scope_tracked(town1, Widget.objects.all()))
    assert mine in visible and theirs not in visible
    assert access.access_tracked(town1, Widget.objects.all(), mine.pk) == mine
    with pytest.raises(NotFound) as not_yours:
        access.access_tracked(town1, Widget.objects.all(), theirs.pk)
    with pytest.raises(NotFound) as missing:
        access.access_tracked(town1, Widget.objects.all(), 999_999)
    assert not_yours.value.message == missing.value.message
    assert not_yours.value.code == missing.value.code


def test_owner_unit_and_co_unit_see_item(node, make_user):
    item = Widget.objects.create(
        title="丙", state="new", place=node("T04V01"), owner_unit=node("D05")
    )
    item.co_units.add(node("D07"))
    assert item in access.scope_tracked(make_user("D05", Role.UNIT_HANDLER), Widget.objects.all())
    assert item in access.scope_tracked(make_user("D07", Role.UNIT_HANDLER), Widget.objects.all())
    assert item not in access.scope_tracked(
        make_user("D08", Role.UNIT_HANDLER), Widget.objects.all()
    )


def test_county_sees_all(node, office):
    Widget.objects.create(title="丁", state="new", place=node("T12V01"))
    assert access.scope_tracked(office, Widget.objects.all()).count() == 1


def test_node_access(make_user, node):
    town1 = make_user("T01", Role.OFFICE)
    assert access.access_node(town1, node("T01V03").pk).code == "T01V03"
    with pytest.raises(NotFound):
        access.access_node(town1, node("T02").pk)
    with pytest.raises(NotFound):
        access.access_node(town1, "abc")


def test_user_without_node_sees_nothing(db):
    from core.errors import PermissionDenied
    from orgs.models import User

    loose = User.objects.create_user(username="loose", password="x")
    with pytest.raises(PermissionDenied):
        access.scope_tracked(loose, Widget.objects.all())


def test_place_label_stops_at_village(node):
    grid = node("T01V01G1")
    label = grid.place_label()
    assert label.startswith("城关街道") and label.endswith(node("T01V01").name)
    assert "网格" not in label


@pytest.mark.parametrize("filtered", [False, True])
def test_both_scope_forms_see_the_same_items(node, make_user, filtered):
    """The filtered (array) form is a planning choice on PostgreSQL: same rows."""
    placed = Widget.objects.create(title="甲", state="new", place=node("T01V02"))
    owned = Widget.objects.create(
        title="乙", state="new", place=node("T04V01"), owner_unit=node("D05")
    )
    shared = Widget.objects.create(
        title="丙", state="new", place=node("T04V01"), owner_unit=node("D08")
    )
    shared.co_units.add(node("T01"))
    Widget.objects.create(title="丁", state="new", place=node("T04V02"), owner_unit=node("D07"))
    town = make_user("T01", Role.OFFICE)
    seen = access.scope_tracked(town, Widget.objects.all(), filtered=filtered)
    assert set(seen) == {placed, shared}
    unit = make_user("D05", Role.UNIT_HANDLER)
    assert set(access.scope_tracked(unit, Widget.objects.all(), filtered=filtered)) == {owned}
    assert set(seen.filter(state="new").order_by("-id")) == {placed, shared}


def test_tracked_area_is_the_county_above(node, make_user, office, other_county):
    county = node("C")
    assert access.tracked_area(office) == county.pk
    assert access.tracked_area(make_user("T01V01", Role.GRID_WORKER)) == county.pk
    assert access.tracked_area(make_user("ZT", Role.OFFICE)) == other_county.pk
    # above the counties, or seeing everything: no area
    assert access.tracked_area(make_user("ZP", Role.OFFICE)) is None
    admin = make_user("C", Role.ADMIN, is_superuser=True)
    assert access.tracked_area(admin) is None
    areas = access.node_areas()
    assert areas[node("T01V01G1").pk] == county.pk and areas[node("ZV").pk] == other_county.pk
    assert node("ZP").pk not in areas
    with pytest.raises(core_errors.PermissionDenied):
        access.tracked_area(AnonymousUser())


@pytest.mark.parametrize("filtered", [False, True])
def test_outside_the_area_plus_placed_in_it_is_the_scope(node, make_user, other_county, filtered):
    """What a search reads by area and what it tests row by row: exactly the scope."""
    placed = Widget.objects.create(title="甲", state="new", place=node("T01V02"))
    owned_away = Widget.objects.create(
        title="乙", state="new", place=node("ZV"), owner_unit=node("T01")
    )
    shared_away = Widget.objects.create(title="丙", state="new", place=node("ZV"))
    shared_away.co_units.add(node("T01"))
    owned_here = Widget.objects.create(
        title="丁", state="new", place=node("T04V01"), owner_unit=node("T01V01")
    )
    Widget.objects.create(title="戊", state="new", place=node("ZV"), owner_unit=node("ZD"))
    Widget.objects.create(title="己", state="new", place=node("T04V02"))
    town = make_user("T01", Role.OFFICE)
    area = access.tracked_area(town)
    scope = set(access.scope_tracked(town, Widget.objects.all(), filtered=filtered))
    assert scope == {placed, owned_away, shared_away, owned_here}
    outside = set(access.scope_tracked_outside(town, Widget.objects.all(), area, filtered=filtered))
    assert outside == {owned_away, shared_away}
    in_area = OrgNode.objects.filter(access.subtree_q(node("C"))).values("id")
    seen_in_area = set(
        access.scope_tracked(town, Widget.objects.all(), filtered=filtered).filter(
            place_id__in=in_area
        )
    )
    assert seen_in_area | outside == scope
    # only the actor's own area
    with pytest.raises(ValueError):
        access.scope_tracked_outside(town, Widget.objects.all(), other_county.pk)
