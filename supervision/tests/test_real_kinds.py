"""The same supervision code over the real kinds: commitments (missing reports,
per-programme policy, reopening) and cases (call list from CaseContact, reopening)."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case, CaseContact
from commitments.models import Commitment, Programme, ProgressReport
from orgs.models import Role
from supervision import jobs, selectors, services
from supervision.models import InspectionGroup, LadderPolicy, Trigger
from tracking.workdays import add_working_days

from .conftest import TODAY, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return Programme.objects.create(name="2026年测试项目清单", year=2026)


@pytest.fixture
def commitment(programme, node):
    def make(**kw):
        return Commitment.objects.create(
            programme=kw.pop("programme", programme),
            title=kw.pop("title", "老旧小区改造"),
            state=kw.pop("state", "in_progress"),
            place=node("T01"),
            owner_unit=node("D05"),
            created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            **kw,
        )

    return make


@pytest.fixture
def inspector(make_user, node):
    user = make_user("D21", Role.INSPECTOR)
    group = InspectionGroup.objects.create(name="测试指导组")
    group.members.add(user)
    group.nodes.add(node("D05"))
    user.group = group
    return user


def test_missing_report_puts_a_commitment_at_risk(commitment, programme, node):
    c = commitment(deadline=add_working_days(TODAY, 40), progress_percent=80)
    ProgressReport.objects.create(
        programme=programme,
        kind="monthly",
        commitment=c,
        unit=node("D05"),
        period="2026-10",
        period_start=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 10, 25),
        status="missing",
    )
    ok = commitment(deadline=add_working_days(TODAY, 40), progress_percent=80, title="另一项")
    jobs.run_all(TODAY)
    c.refresh_from_db()
    ok.refresh_from_db()
    assert c.supervision_status == "at_risk" and c.escalation_level == 1
    assert ok.supervision_status == "on_track"


def test_programme_policy_overrides_the_default(commitment, programme):
    strict = Programme.objects.create(name="重点民生项目", year=2026)
    LadderPolicy.objects.create(
        name="重点清单从严",
        scope_key=f"commitments.commitment:programme={strict.pk}",
        rung5_trigger=Trigger.OVERDUE,
        rung5_delay=5,
    )
    a = commitment(deadline=days_ago(6))
    b = commitment(deadline=days_ago(6), programme=strict)
    jobs.run_all(TODAY)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.escalation_level, b.escalation_level) == (2, 5)


def test_failed_check_reopens_an_accepted_commitment(commitment, inspector):
    c = commitment(state="accepted")
    check = services.spot_check_draw(
        actor=inspector, group_id=inspector.group.pk, per_unit=5, seed="x"
    )
    row = check.items.get(item_id=c.pk)
    services.spot_check_record(
        actor=inspector, check_item_id=row.pk, result="failed", finding="现场改造未完成三栋楼"
    )
    c.refresh_from_db()
    assert c.state == "in_progress"


@pytest.fixture
def closed_case(node):
    case = Case.objects.create(
        text="小区路灯不亮",
        state="closed",
        place=node("T01V01"),
        owner_unit=node("D05"),
        result="已更换灯具",
    )
    CaseContact.objects.create(case=case, name="张三丰", phone="13912345678")
    return case


def test_unsatisfied_visit_reopens_a_closed_case(closed_case, inspector):
    rows = selectors.call_list(inspector, inspector.group)
    assert [r["item"].pk for r in rows] == [closed_case.pk]
    assert rows[0]["phone"] == "139****5678" and rows[0]["name"] == "张**"
    contact = services.return_visit_contact(
        actor=inspector, kind_key="cases.case", item_id=closed_case.pk
    )
    assert contact["phone"] == "13912345678"
    services.return_visit_record(
        actor=inspector,
        kind_key="cases.case",
        item_id=closed_case.pk,
        outcome="unsatisfied",
        note="路灯又坏了，群众不满意",
    )
    closed_case.refresh_from_db()
    assert closed_case.state == "in_progress"
