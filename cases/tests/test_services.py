"""Every case transition and every refusal, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, CaseContact, State
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from tracking import workdays
from tracking.models import PersonalDataAccess, Rating
from tracking.selectors import timeline_for

from .conftest import PHONE_NO

pytestmark = pytest.mark.django_db


def actions(case):
    return [e.action for e in timeline_for(case)]


# --- intake -----------------------------------------------------------------


def test_submit_public_creates_case_contact_and_timeline(submit, node):
    case = submit()
    assert case.state == State.SUBMITTED
    assert case.channel == "web"
    assert case.place == node("T01V01")
    assert len(case.tracking_code) == 10
    assert not set(case.tracking_code) & set("01OIL")
    contact = CaseContact.objects.get(case=case)
    assert (contact.name, contact.phone) == ("张三丰", PHONE_NO)
    assert actions(case) == ["case.submit"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "   ", "请填写诉求内容"),
        ("text", "字" * 5001, "诉求内容不能超过5000字"),
        ("phone", "12345", "请输入正确的11位手机号码"),
        ("place", 999999, "请选择所在乡镇（街道）和村（社区）"),
        ("kind", "wish", "请选择诉求类型"),
        ("name", "", "请填写姓名"),
    ],
)
def test_submit_public_refuses_bad_input_and_saves_nothing(submit, field, value, message):
    with pytest.raises(InvalidInput) as e:
        submit(**{field: value})
    assert any(message in m for m in e.value.fields[field])
    assert Case.objects.count() == 0
    assert CaseContact.objects.count() == 0


def test_submit_public_department_is_not_a_place(submit, node):
    with pytest.raises(InvalidInput):
        submit(place=node("D05").pk)


def test_submit_twice_with_same_key_saves_once(submit):
    a = submit(intake_key="k-1")
    b = submit(intake_key="k-1")
    assert a.pk == b.pk
    assert Case.objects.count() == 1
    with pytest.raises(InvalidInput):
        submit(intake_key="k-1", phone="13999998888")  # a key never reveals another's case
    assert Case.objects.count() == 1


def test_submit_requires_sms_code_when_configured(submit, settings):
    from core import sms

    settings.CASES_VERIFY_PHONE = True
    with pytest.raises(InvalidInput) as e:
        submit(sms_code="000000")
    assert "sms_code" in e.value.fields
    sms.send_code(PHONE_NO, "case")
    case = submit(sms_code=sms.last_code_for(PHONE_NO))
    assert case.contact.phone_verified


def test_staff_intake_many_items_from_one_forum(make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    cases = services.case_intake(
        actor=grid,
        channel="forum",
        collected_at=timezone.localdate() - dt.timedelta(days=2),
        note="七月村民座谈会",
        intake_key="forum-1",
        items=[
            {"text": "希望增设路灯", "kind": "suggestion", "place": node("T01V01G1").pk},
            {
                "text": "垃圾清运不及时",
                "place": node("T01V01").pk,
                "name": "李四",
                "phone": "13900001111",
            },
        ],
    )
    assert [c.channel for c in cases] == ["forum", "forum"]
    assert all(c.collected_by == grid for c in cases)
    assert cases[1].contact.name == "李四"
    assert not CaseContact.objects.filter(case=cases[0]).exists()
    again = services.case_intake(
        actor=grid,
        channel="forum",
        intake_key="forum-1",
        items=[{"text": "x", "place": node("T01V01").pk}],
    )
    assert [c.pk for c in again] == [c.pk for c in cases]
    assert Case.objects.count() == 2


def test_staff_intake_refuses_other_subtree_and_saves_none(make_user, node):
    grid = make_user("T01V01", Role.GRID_WORKER)
    with pytest.raises(InvalidInput) as e:
        services.case_intake(
            actor=grid,
            channel="visit",
            items=[
                {"text": "本村事项", "place": node("T01V01").pk},
                {"text": "别的镇的事项", "place": node("T04V01").pk},
            ],
        )
    assert "items-1-place" in e.value.fields
    assert Case.objects.count() == 0


def test_staff_intake_refuses_wrong_role_channel_and_future_date(make_user, node):
    volunteer = make_user("T01V01", Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        services.case_intake(
            actor=volunteer, channel="visit", items=[{"text": "x", "place": node("T01V01").pk}]
        )
    grid = make_user("T01V01", Role.GRID_WORKER)
    with pytest.raises(InvalidInput) as e:
        services.case_intake(
            actor=grid,
            channel="web",
            collected_at=timezone.localdate() + dt.timedelta(days=3),
            items=[{"text": "x", "place": node("T01V01").pk}],
        )
    assert set(e.value.fields) >= {"channel", "collected_at"}


# --- workflow -----------------------------------------------------------------


def test_full_journey(submit, office, unit_user, node, category):
    case = submit(category=category.pk)
    case = services.case_accept(actor=office, case=case)
    assert case.state == State.ACCEPTED
    case = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    assert case.state == State.DISPATCHED
    assert case.owner_unit == node("D05")
    assert case.deadline == workdays.add_working_days(timezone.localdate(), category.default_days)
    case = services.case_sign(actor=unit_user, case=case)
    assert case.state == State.SIGNED and case.signed_at
    case = services.case_note(actor=unit_user, case=case, note="已联系施工队现场勘察")
    assert case.state == State.IN_PROGRESS
    case = services.case_reply(actor=unit_user, case=case, result="路面已修补完毕")
    assert case.state == State.REPLIED and case.result == "路面已修补完毕"
    case = services.case_rate(
        tracking_code=case.tracking_code, phone_last4="1234", value="satisfied"
    )
    assert case.state == State.RATED
    assert case.rating_satisfied == 1
    case = services.case_close(actor=office, case=case, note="群众满意，销号")
    assert case.state == State.CLOSED and case.closed_at
    assert actions(case) == [
        "case.submit",
        "case.accept",
        "case.dispatch",
        "case.sign",
        "case.progress",
        "case.reply",
        "case.rate",
        "case.close",
    ]


def test_decline_needs_reason(submit, office):
    case = submit()
    with pytest.raises(InvalidInput):
        services.case_decline(actor=office, case=case, reason=" ")
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    case = services.case_decline(
        actor=office, case=case, reason="属于司法程序事项，请通过诉讼途径解决"
    )
    assert case.state == State.DECLINED


def test_merge_into_another_case(submit, office):
    main = submit()
    dup = submit(text="同一条路的坑洼问题")
    with pytest.raises(InvalidInput):
        services.case_merge(actor=office, case=dup, into=dup)
    with pytest.raises(InvalidInput):
        services.case_merge(actor=office, case=dup, into="NOPE")
    dup = services.case_merge(actor=office, case=dup, into=main.tracking_code)
    assert dup.state == State.MERGED and dup.merged_into == main


def test_merge_target_in_other_town_is_not_found(submit, town_office, node):
    mine = submit()
    theirs = submit(place=node("T04V01").pk)
    with pytest.raises(InvalidInput):
        services.case_merge(actor=town_office, case=mine, into=theirs)


def test_return_to_centre_then_redispatch(submit, office, unit_user, node):
    case = services.case_dispatch(actor=office, case=submit(), unit=node("D05"))
    with pytest.raises(InvalidInput):
        services.case_return(actor=unit_user, case=case, reason="")
    case = services.case_return(actor=unit_user, case=case, reason="该事项属于交通运输局职责")
    assert case.state == State.ACCEPTED and case.owner_unit is None and case.deadline is None
    case = services.case_dispatch(actor=office, case=case, unit=node("D07"))
    assert case.state == State.DISPATCHED


def test_dispatch_refusals(submit, office, town_office, node):
    case = submit()
    with pytest.raises(InvalidInput):
        services.case_dispatch(actor=office, case=case, unit=node("T01V01G1"))  # a grid is no unit
    with pytest.raises(InvalidInput):
        services.case_dispatch(
            actor=office,
            case=case,
            unit=node("D05"),
            deadline=timezone.localdate() - dt.timedelta(days=1),
        )
    with pytest.raises(InvalidInput):
        services.case_dispatch(actor=town_office, case=case, unit=node("D05"))  # not under the town
    case = services.case_dispatch(actor=town_office, case=case, unit=node("T01V01"))
    assert case.owner_unit == node("T01V01")


def test_wrong_actor_wrong_state_wrong_subtree(
    submit, office, unit_user, other_town_office, make_user, node
):
    case = submit()
    # wrong actor: a unit handler cannot dispatch; a grid worker cannot accept
    with pytest.raises(PermissionDenied):
        services.case_dispatch(
            actor=make_user("T01", Role.UNIT_HANDLER), case=case, unit=node("T01V01")
        )
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=make_user("T01V01", Role.GRID_WORKER), case=case)
    # wrong subtree: another town's office does not even see it
    with pytest.raises(NotFound):
        services.case_accept(actor=other_town_office, case=case)
    # wrong state
    with pytest.raises(WorkflowError):
        services.case_close(actor=office, case=case)
    case = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    with pytest.raises(WorkflowError):
        services.case_reply(actor=unit_user, case=case, result="还没签收就办结")
    with pytest.raises(WorkflowError):
        services.case_accept(actor=office, case=case)
    # the office cannot sign for the unit; another unit's handler does not see it
    with pytest.raises(PermissionDenied):
        services.case_sign(actor=office, case=case)
    with pytest.raises(NotFound):
        services.case_sign(actor=make_user("D07", Role.UNIT_HANDLER), case=case)
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    assert actions(case) == ["case.submit", "case.dispatch"]


def test_close_refused_before_reply(submit, office):
    with pytest.raises(WorkflowError):
        services.case_close(actor=office, case=submit())


# --- rating -------------------------------------------------------------------


def test_rating_needs_right_code_and_digits(replied_case):
    with pytest.raises(InvalidInput):
        services.case_rate(
            tracking_code=replied_case.tracking_code, phone_last4="9999", value="satisfied"
        )
    with pytest.raises(InvalidInput):
        services.case_rate(tracking_code="ZZZZZZZZZZ", phone_last4="1234", value="satisfied")
    with pytest.raises(InvalidInput):
        services.case_rate(
            tracking_code=replied_case.tracking_code, phone_last4="1234", value="great"
        )
    assert Rating.objects.count() == 0


def test_second_rating_is_refused(replied_case):
    code = replied_case.tracking_code.lower()  # codes are case-insensitive for residents
    services.case_rate(tracking_code=code, phone_last4="1234", value="neutral", comment="还行")
    with pytest.raises(WorkflowError) as e:
        services.case_rate(tracking_code=code, phone_last4="1234", value="satisfied")
    assert "重复评价" in e.value.message
    assert Rating.objects.count() == 1


def test_rating_before_reply_is_refused(submit):
    case = submit()
    with pytest.raises(WorkflowError):
        services.case_rate(tracking_code=case.tracking_code, phone_last4="1234", value="satisfied")


def test_unsatisfied_reopens_once_then_flags(replied_case, unit_user):
    code = replied_case.tracking_code
    case = services.case_rate(
        tracking_code=code, phone_last4="1234", value="unsatisfied", comment="没修好"
    )
    assert case.state == State.IN_PROGRESS
    assert case.reopen_count == 1 and not case.flagged_for_supervision
    assert case.deadline >= timezone.localdate()
    case = services.case_reply(actor=unit_user, case=case, result="重新铺设沥青")
    case = services.case_rate(tracking_code=code, phone_last4="1234", value="unsatisfied")
    assert case.state == State.RATED
    assert case.flagged_for_supervision
    assert case.reopen_count == 1
    assert actions(case)[-5:] == [
        "case.rate",
        "case.reopen",
        "case.reply",
        "case.rate",
        "case.flag",
    ]
    assert Rating.objects.filter(value="unsatisfied").count() == 2


# --- conversion hook ----------------------------------------------------------


def test_convert_through_registered_converter(submit, office, make_user):
    made = []

    def to_wish(*, actor, case, **options):
        made.append((actor, case.pk, options))

        class Obj:
            pk = 77

            def __str__(self):
                return "微心愿：轮椅一台"

        return Obj()

    services.register_converter("test_wish", to_wish, "微心愿")
    case = submit()
    with pytest.raises(InvalidInput):
        services.case_convert(actor=office, case=case, target="nothing")
    with pytest.raises(PermissionDenied):
        services.case_convert(
            actor=make_user("T01", Role.UNIT_HANDLER), case=case, target="test_wish"
        )
    assert made == []
    obj = services.case_convert(actor=office, case=case, target="test_wish", size="large")
    assert obj.pk == 77 and made == [(office, case.pk, {"size": "large"})]
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    entry = list(timeline_for(case))[-1]
    assert entry.action == "case.convert" and entry.data["ref"] == 77


# --- personal data --------------------------------------------------------------


def test_contact_view_is_logged_and_limited(submit, office, unit_user, node, other_town_office):
    case = submit()
    contact = services.case_contact_view(actor=office, case=case)
    assert contact.phone == PHONE_NO
    assert PersonalDataAccess.objects.filter(actor=office, item_id=case.pk).count() == 1
    with pytest.raises(NotFound):
        services.case_contact_view(actor=other_town_office, case=case)
    with pytest.raises(NotFound):
        services.case_contact_view(actor=unit_user, case=case)  # not dispatched to the unit yet
    case = services.case_dispatch(actor=office, case=case, unit=node("D05"))
    assert services.case_contact_view(actor=unit_user, case=case).name == "张三丰"
    assert PersonalDataAccess.objects.filter(item_id=case.pk).count() == 2
