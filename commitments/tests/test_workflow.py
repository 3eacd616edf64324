"""Every commitment transition and refusal, through the services."""

import datetime as dt

import pytest

from commitments import selectors, services
from commitments.models import Commitment, Kind, ProblemLevel
from commitments.tests.conftest import photo
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from tracking.selectors import timeline_for

pytestmark = pytest.mark.django_db


def test_full_path_draft_to_closed(make_item, office, handler, inspector):
    item = make_item()
    assert item.state == "draft" and item.level == "county" and item.place.code == "C"
    item = services.commitment_publish(actor=office, commitment=item)
    item = services.commitment_start(actor=handler, commitment=item)
    item = services.commitment_complete(
        actor=handler, commitment=item, note="36个小区全部完工", evidence=[photo()]
    )
    assert item.state == "completed" and item.claimed_by == handler
    assert item.progress_percent == 100 and item.done_quantity == 36
    item = services.commitment_accept(actor=inspector, commitment=item, note="现场验收合格")
    assert item.state == "accepted" and item.accepted_at
    item = services.commitment_close(actor=office, commitment=item)
    assert item.state == "closed" and not item.is_open
    entries = list(timeline_for(item))
    assert [e.action for e in entries] == [
        "commitment.create",
        "commitment.publish",
        "commitment.start",
        "commitment.complete",
        "commitment.accept",
        "commitment.close",
    ]
    assert entries[3].evidence.count() == 1
    assert entries[4].actor == inspector


def _in_progress(make_item, office, handler, **data):
    item = make_item(**data)
    item = services.commitment_publish(actor=office, commitment=item)
    return services.commitment_start(actor=handler, commitment=item)


def test_completion_without_evidence_is_refused(make_item, office, handler):
    item = _in_progress(make_item, office, handler)
    before = timeline_for(item).count()
    with pytest.raises(InvalidInput) as exc:
        services.commitment_complete(actor=handler, commitment=item, note="已完成")
    assert "佐证材料" in exc.value.message and "evidence" in exc.value.fields
    item.refresh_from_db()
    assert item.state == "in_progress" and item.claimed_by is None
    assert timeline_for(item).count() == before


def test_completion_needs_a_note(make_item, office, handler):
    item = _in_progress(make_item, office, handler)
    with pytest.raises(InvalidInput) as exc:
        services.commitment_complete(actor=handler, commitment=item, note=" ", evidence=[photo()])
    assert exc.value.fields == {"note": ["请填写完成情况说明"]}


def test_acceptance_by_the_claimer_is_refused(make_item, office, make_user):
    both = make_user("D05", Role.UNIT_HANDLER, Role.INSPECTOR, username="both")
    item = make_item()
    item = services.commitment_publish(actor=office, commitment=item)
    item = services.commitment_start(actor=both, commitment=item)
    item = services.commitment_complete(
        actor=both, commitment=item, note="完成", evidence=[photo()]
    )
    with pytest.raises(PermissionDenied) as exc:
        services.commitment_accept(actor=both, commitment=item)
    assert "申报完成人以外" in exc.value.message
    item.refresh_from_db()
    assert item.state == "completed"
    assert services.commitment_accept(actor=office, commitment=item).state == "accepted"


def test_reject_needs_reason_and_goes_back(make_item, office, handler):
    item = _in_progress(make_item, office, handler)
    item = services.commitment_complete(
        actor=handler, commitment=item, note="完成", evidence=[photo()]
    )
    with pytest.raises(InvalidInput):
        services.commitment_reject(actor=office, commitment=item, note="")
    item = services.commitment_reject(actor=office, commitment=item, note="照片与现场不符")
    assert item.state == "in_progress" and item.claimed_by is None
    assert timeline_for(item).last().note == "照片与现场不符"


def test_wrong_role_is_refused(make_item, office, handler):
    item = make_item()
    with pytest.raises(PermissionDenied):
        services.commitment_publish(actor=handler, commitment=item)  # only the office publishes
    item = services.commitment_publish(actor=office, commitment=item)
    item = services.commitment_start(actor=handler, commitment=item)
    item = services.commitment_complete(
        actor=handler, commitment=item, note="完成", evidence=[photo()]
    )
    with pytest.raises(PermissionDenied):
        services.commitment_accept(actor=handler, commitment=item)  # units do not accept


def test_wrong_state_is_refused(make_item, office, handler):
    item = _in_progress(make_item, office, handler)
    with pytest.raises(WorkflowError) as exc:
        services.commitment_close(actor=office, commitment=item)
    assert "当前状态为“推进中”" in exc.value.message
    with pytest.raises(WorkflowError):
        services.commitment_accept(actor=office, commitment=item)


def test_wrong_subtree_gets_not_found(make_item, office, make_user):
    item = make_item()
    item = services.commitment_publish(actor=office, commitment=item)
    other_unit = make_user("D01", Role.UNIT_HANDLER)
    with pytest.raises(NotFound):
        services.commitment_start(actor=other_unit, commitment=item)
    other_town = make_user("T04", Role.OFFICE)
    with pytest.raises(NotFound):
        selectors.commitment_get(other_town, item.pk)
    with pytest.raises(NotFound):
        selectors.commitment_get(other_town, 999_999)  # same answer as "does not exist"
    with pytest.raises(NotFound):
        services.commitment_update(actor=other_town, commitment=item, data={"title": "改"})


def test_co_unit_sees_but_cannot_act(make_item, office, node, make_user):
    item = make_item(co_units=[node("T01")])
    item = services.commitment_publish(actor=office, commitment=item)
    town = make_user("T01", Role.UNIT_HANDLER)
    assert selectors.commitment_get(town, item.pk) == item
    with pytest.raises(PermissionDenied):
        services.commitment_start(actor=town, commitment=item)


def test_town_level_commitment_sits_in_the_town(make_item, node, make_user):
    item = make_item(owner_unit=node("T01"))
    assert item.level == "town" and item.place.code == "T01"
    town_office = make_user("T01", Role.OFFICE)
    assert services.commitment_publish(actor=town_office, commitment=item).state == "published"


def test_create_validates_in_chinese_and_saves_nothing(office, programme, node):
    before = Commitment.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.commitment_create(
            actor=office,
            programme=programme,
            data={"title": "", "owner_unit": None, "target_quantity": 5},
        )
    assert exc.value.fields["title"] == ["请填写项目名称"]
    assert exc.value.fields["owner_unit"] == ["请选择责任单位"]
    assert "deadline" in exc.value.fields and "target_unit" in exc.value.fields
    assert Commitment.objects.count() == before


def test_update_records_what_changed(make_item, office):
    item = make_item()
    item = services.commitment_update(
        actor=office, commitment=item, data={"lead_official": "王县长"}
    )
    assert item.lead_official == "王县长"
    assert "牵头领导" in timeline_for(item).last().note


def test_rectification_measures_and_counts(office, programme, node):
    unit = node("D05")
    counts = {
        ProblemLevel.TEAM: 2,
        ProblemLevel.CADRE: 1,
        ProblemLevel.ORG: 1,
        ProblemLevel.MEMBER: 1,
    }
    for level, n in counts.items():
        problem = services.problem_create(
            actor=office, programme=programme, level=level, text=f"{level}问题", unit=unit
        )
        for i in range(n):
            services.commitment_create(
                actor=office,
                programme=programme,
                data={
                    "kind": Kind.RECTIFICATION,
                    "title": f"措施{i}",
                    "problem": problem,
                    "is_immediate": i == 0,
                    "owner_unit": unit,
                    "deadline": None if i == 0 else dt.date(2026, 12, 31),
                    "responsible_person": "" if i == 0 else "张三",
                },
            )
    problem = services.problem_create(
        actor=office, programme=programme, level=ProblemLevel.TEAM, text="另一问题", unit=unit
    )
    # a measure that is not 立行立改 needs a deadline and a responsible person
    with pytest.raises(InvalidInput) as exc:
        services.commitment_create(
            actor=office,
            programme=programme,
            data={
                "kind": Kind.RECTIFICATION,
                "title": "措施",
                "problem": problem,
                "owner_unit": unit,
            },
        )
    assert set(exc.value.fields) == {"deadline", "responsible_person"}
    data = selectors.rectification_for(office, programme)
    levels = {lv["code"]: lv for lv in data["levels"]}
    assert levels["team"]["problems"] == 2 and levels["team"]["measures"] == 2
    assert levels["team"]["immediate"] == 1
    assert "领导班子检视问题2条" in data["summary"]
    assert "针对领导班子的问题制定整改措施2条" in data["summary"]
    assert "党员个人检视问题1条" in data["summary"]
    assert list(data["responsibility"]) == ["住房和城乡建设局"]
    with pytest.raises(InvalidInput):
        services.problem_create(actor=office, programme=programme, level="x", text="", unit=unit)


def test_converter_from_case(office, programme, node):
    class FakeCase:
        pk = 42
        tracking_code = "ABC123"
        title = "小区路灯不亮"
        text = "小区路灯不亮已两个月"
        owner_unit = node("D05")
        category = None
        category_id = None
        deadline = None

    item = services.commitment_create_from_case(actor=office, case=FakeCase())
    assert item.state == "draft" and item.programme == programme
    assert list(item.source_cases.values_list("case_id", flat=True)) == [42]
    assert item.deadline == dt.date(2026, 12, 31)
    assert "ABC123" in timeline_for(item).first().note


def test_registered_as_tracked_kind():
    from tracking import registry

    kind = registry.kind_for(Commitment)
    assert kind.progress_field == "progress_percent"
    assert "in_progress" in kind.open_states and "closed" in kind.finished_states


def test_case_becomes_a_commitment_through_cases(office, programme, node, make_user):
    cases_services = pytest.importorskip("cases.services")
    assert "commitment" in cases_services.converter_targets()
    from taxonomy.models import Category

    text = "村里路灯坏了一大片，晚上出行不安全，希望统一更换。"
    submit = dict(text=text, kind="request", place=node("T01V01").pk, name="张三丰")
    case = cases_services.case_submit_public(**submit, phone="13800001234")
    # no unit and no category yet: the county office is told what to do first
    with pytest.raises(InvalidInput) as exc:
        cases_services.case_convert(actor=office, case=case, target="commitment")
    assert "请先分类或交办" in exc.value.message
    assert not Commitment.objects.exists()
    category = Category.objects.get(code="A1C05")  # 城乡融合 → 住房和城乡建设局
    case = cases_services.case_submit_public(**submit, phone="13800001235", category=category.pk)
    item = cases_services.case_convert(actor=office, case=case, target="commitment")
    assert isinstance(item, Commitment) and item.state == "draft"
    assert list(item.source_cases.values_list("case_id", flat=True)) == [case.pk]
    assert item.title and item.tasks == text
    assert item.owner_unit == node("D05") and item.category == category
    # a town office converting a case in its town owns the draft itself
    town_office = make_user("T01", Role.OFFICE)
    case2 = cases_services.case_submit_public(
        text="小区门口垃圾桶太少。",
        kind="request",
        place=node("T01V02").pk,
        name="李四",
        phone="13800005678",
    )
    item2 = cases_services.case_convert(actor=town_office, case=case2, target="commitment")
    assert item2.owner_unit == node("T01") and item2.level == "town"


def test_supervision_reopen_sends_closed_work_back(make_item, office, handler, inspector):
    item = _in_progress(make_item, office, handler)
    item = services.commitment_complete(
        actor=handler, commitment=item, note="完成", evidence=[photo()]
    )
    item = services.commitment_accept(actor=inspector, commitment=item)
    item = services.commitment_close(actor=office, commitment=item)
    with pytest.raises(PermissionDenied):
        services.commitment_reopen(actor=handler, commitment=item, note="x")
    with pytest.raises(InvalidInput):
        services.commitment_reopen(actor=inspector, commitment=item, note="")
    item = services.commitment_reopen(actor=inspector, commitment=item, note="抽查发现整改不彻底")
    assert item.state == "in_progress" and item.claimed_by is None and item.closed_at is None
    entry = timeline_for(item).last()
    assert entry.action == "commitment.supervision_reopen" and entry.is_public
