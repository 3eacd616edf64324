"""The tracking kernel through a minimal tracked model: transitions, refusals, timeline."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from tests.kernelapp.models import Widget
from tracking import selectors, services
from tracking.models import RatingValue, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(node):
    return Widget.objects.create(title="路灯不亮", state="new", place=node("T01V01"))


@pytest.fixture
def unit(node):
    return node("D05")


def test_transition_writes_state_and_timeline(widget, office, unit):
    item = services.item_transition(
        actor=office,
        item=widget,
        name="assign",
        note="请尽快处理",
        changes={"owner_unit": unit, "deadline": dt.date(2026, 12, 1)},
    )
    assert item.state == "assigned"
    widget.refresh_from_db()
    assert widget.owner_unit == unit and widget.deadline == dt.date(2026, 12, 1)
    [entry] = selectors.timeline_for(widget)
    assert (entry.actor, entry.from_state, entry.to_state, entry.note) == (
        office,
        "new",
        "assigned",
        "请尽快处理",
    )
    assert entry.action == "widget.assign" and entry.action_label == "交办"
    assert "周" not in entry.actor_label and "测试用户" in entry.actor_label


def test_wrong_state_is_refused_and_changes_nothing(widget, office):
    with pytest.raises(WorkflowError) as exc:
        services.item_transition(actor=office, item=widget, name="close")
    assert "当前状态为“新建”" in exc.value.message
    widget.refresh_from_db()
    assert widget.state == "new"
    assert not selectors.timeline_for(widget).exists()


def test_wrong_role_is_refused(widget, make_user):
    handler = make_user("C", Role.UNIT_HANDLER)
    with pytest.raises(PermissionDenied):
        services.item_transition(actor=handler, item=widget, name="assign")


def test_other_subtree_gets_not_found(widget, make_user):
    other_town = make_user("T04", Role.OFFICE)
    with pytest.raises(NotFound) as exc:
        services.item_transition(actor=other_town, item=widget, name="assign")
    assert exc.value.code == "not_found"


def test_owner_relation_required(widget, office, unit, make_user):
    services.item_transition(actor=office, item=widget, name="assign", changes={"owner_unit": unit})
    other_unit_handler = make_user("D01", Role.UNIT_HANDLER)
    with pytest.raises(NotFound):
        services.item_transition(
            actor=other_unit_handler, item=widget, name="finish", changes={"result": "已修"}
        )
    # the town sees the item (its place) but is not the owner unit
    town_handler = make_user("T01", Role.UNIT_HANDLER)
    with pytest.raises(PermissionDenied):
        services.item_transition(
            actor=town_handler, item=widget, name="finish", changes={"result": "已修"}
        )


def test_guard_refuses_and_nothing_is_saved(widget, office, unit, make_user):
    services.item_transition(actor=office, item=widget, name="assign", changes={"owner_unit": unit})
    handler = make_user("D05", Role.UNIT_HANDLER)
    with pytest.raises(InvalidInput):
        services.item_transition(actor=handler, item=widget, name="finish", changes={"result": " "})
    widget.refresh_from_db()
    assert widget.state == "assigned"
    assert selectors.timeline_for(widget).count() == 1


def test_note_keeps_state_and_stores_evidence(widget, office, unit, make_user):
    services.item_transition(actor=office, item=widget, name="assign", changes={"owner_unit": unit})
    handler = make_user("D05", Role.UNIT_HANDLER)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0fakejpeg", content_type="image/jpeg")
    services.item_transition(
        actor=handler, item=widget, name="note", note="已到现场", evidence=[photo]
    )
    widget.refresh_from_db()
    assert widget.state == "assigned"
    last = selectors.timeline_for(widget).last()
    assert last.note == "已到现场" and last.evidence.get().original_name == "现场.jpg"


def test_system_may_only_take_system_transitions(widget):
    with pytest.raises(PermissionDenied):
        services.item_transition(actor=None, item=widget, name="assign")


def test_timeline_is_append_only(widget, office):
    services.item_transition(actor=office, item=widget, name="assign")
    entry = TimelineEntry.objects.get()
    entry.note = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        TimelineEntry.objects.filter(pk=entry.pk).update(note="篡改")
    with pytest.raises(PermissionError):
        TimelineEntry.objects.all().delete()


def test_rating_counts_once_per_rater(widget):
    services.rating_record(item=widget, value=RatingValue.SATISFIED, rater="13800001234")
    with pytest.raises(WorkflowError) as exc:
        services.rating_record(item=widget, value=RatingValue.UNSATISFIED, rater="13800001234")
    assert exc.value.code == "already_rated"
    services.rating_record(item=widget, value=RatingValue.NEUTRAL, rater="13900001234")
    widget.refresh_from_db()
    assert (widget.rating_satisfied, widget.rating_neutral, widget.rating_unsatisfied) == (1, 1, 0)


def test_rating_refuses_bad_value(widget):
    with pytest.raises(InvalidInput):
        services.rating_record(item=widget, value="great", rater="x")


def test_personal_data_access_is_logged(widget, office):
    services.personal_data_access_log(
        actor=office, item=widget, fields=["name", "phone"], reason="电话回访"
    )
    from tracking.models import PersonalDataAccess

    log = PersonalDataAccess.objects.get()
    assert (log.actor, log.item_id, log.fields, log.reason) == (
        office,
        widget.pk,
        "name,phone",
        "电话回访",
    )


def test_allowed_transitions_lists_only_what_actor_can_do(widget, office, make_user):
    assert [t.name for t in services.allowed_transitions(office, widget)] == ["assign"]
    handler = make_user("D05", Role.UNIT_HANDLER)
    with pytest.raises(NotFound):
        services.check_transition(handler, widget, "assign")
