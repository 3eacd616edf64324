"""Report cadences, due dates across holidays and month ends, slots, filing, approval, counts."""

import datetime as dt
from decimal import Decimal

import pytest

from commitments import cadence, selectors, services
from commitments.models import HolidayRule, Programme, ProgressReport, ReportKind, ReportStatus
from commitments.tests.conftest import photo
from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from tracking.selectors import timeline_for

pytestmark = pytest.mark.django_db


# --- due dates ------------------------------------------------------------------


def test_monthly_due_on_the_25th_or_next_working_day(programme):
    assert cadence.monthly_due(programme, 2026, 11) == dt.date(2026, 11, 25)  # Wednesday
    # 2026-01-25 is a Sunday: moved to Monday the 26th
    assert cadence.monthly_due(programme, 2026, 1) == dt.date(2026, 1, 26)
    # 2026-10-25 is a Sunday too
    assert cadence.monthly_due(programme, 2026, 10) == dt.date(2026, 10, 26)


def test_month_end_and_swapped_workday(programme):
    programme.monthly_due_day = 31
    # April has 30 days: the 30th (a Thursday)
    assert cadence.monthly_due(programme, 2026, 4) == dt.date(2026, 4, 30)
    # February: the 28th, a Saturday but a swapped workday (春节调休) — it stays
    assert cadence.monthly_due(programme, 2026, 2) == dt.date(2026, 2, 28)
    # May 31 2026 is a Sunday: next working day is June 1
    assert cadence.monthly_due(programme, 2026, 5) == dt.date(2026, 6, 1)


def test_holiday_rules(programme):
    programme.monthly_due_day = 1
    # 1 May 2026 (劳动节, 1–5 May off): next rule → 6 May, previous → 30 April, none → 1 May
    assert cadence.monthly_due(programme, 2026, 5) == dt.date(2026, 5, 6)
    programme.holiday_rule = HolidayRule.PREVIOUS
    assert cadence.monthly_due(programme, 2026, 5) == dt.date(2026, 4, 30)
    programme.holiday_rule = HolidayRule.NONE
    assert cadence.monthly_due(programme, 2026, 5) == dt.date(2026, 5, 1)


def test_weekly_due_thursday_across_national_day(programme):
    assert cadence.weekly_due(programme, 2026, 48) == dt.date(2026, 11, 26)
    # Thursday 1 October 2026 is 国庆节: moved to Thursday 8 October, the first working day
    assert cadence.weekly_due(programme, 2026, 40) == dt.date(2026, 10, 8)
    programme.weekly_due_weekday = 4  # Friday
    assert cadence.weekly_due(programme, 2026, 48) == dt.date(2026, 11, 27)


def test_cadence_is_configurable_and_validated(office, programme, handler):
    services.programme_set_cadence(
        actor=office,
        programme=programme,
        monthly_due_day=20,
        weekly_due_weekday=1,
        holiday_rule=HolidayRule.NEXT,
        monthly_enabled=True,
        weekly_enabled=False,
    )
    programme.refresh_from_db()
    assert programme.monthly_due_day == 20 and not programme.weekly_enabled
    with pytest.raises(InvalidInput) as exc:
        services.programme_set_cadence(
            actor=office,
            programme=programme,
            monthly_due_day=32,
            weekly_due_weekday=3,
            holiday_rule="next",
            monthly_enabled=True,
            weekly_enabled=True,
        )
    assert exc.value.fields["monthly_due_day"] == ["月报截止日应为1至31日"]
    with pytest.raises(PermissionDenied):
        services.programme_set_cadence(
            actor=handler,
            programme=programme,
            monthly_due_day=20,
            weekly_due_weekday=3,
            holiday_rule="next",
            monthly_enabled=True,
            weekly_enabled=True,
        )


# --- slots ------------------------------------------------------------------------


@pytest.fixture
def running(make_item, office, handler):
    def make(**data):
        item = make_item(**data)
        item = services.commitment_publish(actor=office, commitment=item)
        worker = handler if item.owner_unit.code == "D05" else office
        return services.commitment_start(actor=worker, commitment=item)

    return make


def test_no_slot_once_its_due_date_has_passed(running):
    running()
    # Friday 27 November: this week's Thursday and this month's 25th are both past
    assert services.report_slots_generate(today=dt.date(2026, 11, 27)) == {
        "created": 0,
        "missing": 0,
    }


def test_slots_generated_once_and_missing_marked(running, make_item, node):
    a = running()
    running(title="农村公路提档", owner_unit=node("T01"))
    make_item(title="仍是草稿")  # drafts owe no report
    first = services.report_slots_generate(today=dt.date(2026, 11, 17))
    # 2 monthly (one per open item) + 2 weekly (D05 and T01 lead units)
    assert first == {"created": 4, "missing": 0}
    assert services.report_slots_generate(today=dt.date(2026, 11, 17)) == {
        "created": 0,
        "missing": 0,
    }
    monthly = ProgressReport.objects.get(commitment=a, kind=ReportKind.MONTHLY)
    assert (monthly.period, monthly.due_date) == ("2026-11", dt.date(2026, 11, 25))
    weekly = ProgressReport.objects.get(kind=ReportKind.WEEKLY, unit=node("D05"))
    assert (weekly.period, weekly.due_date) == ("2026-W47", dt.date(2026, 11, 19))
    # the next run after the due dates marks the unfiled slots missing, once
    result = services.report_slots_generate(today=dt.date(2026, 11, 26))
    assert result["missing"] == 4  # both weekly W47 slots and both monthly ones
    assert result["created"] == 2  # this week's (W48, due today) weekly slots
    assert services.report_slots_generate(today=dt.date(2026, 11, 26))["missing"] == 0
    monthly.refresh_from_db()
    assert monthly.status == ReportStatus.MISSING


def _slot(item, due=dt.date(2026, 11, 25), period="2026-11"):
    return ProgressReport.objects.create(
        programme=item.programme,
        kind=ReportKind.MONTHLY,
        commitment=item,
        unit=item.owner_unit,
        period=period,
        period_start=due.replace(day=1),
        due_date=due,
    )


def test_file_on_time_then_head_approves(running, handler, head):
    item = running()
    slot = _slot(item)
    report = services.report_submit(
        actor=handler,
        report=slot,
        narrative="完成12个小区改造",
        done_quantity=Decimal(12),
        problems="雨季影响",
        next_steps="加快进度",
        photos=[photo()],
        today=dt.date(2026, 11, 24),
    )
    assert report.status == ReportStatus.SUBMITTED and not report.is_late
    assert report.percent == 33  # 12 of 36
    assert report.photos.count() == 1
    with pytest.raises(PermissionDenied):
        services.report_approve(actor=handler, report=report)  # the head approves
    report = services.report_approve(actor=head, report=report)
    assert report.status == ReportStatus.APPROVED and report.approved_by == head
    item.refresh_from_db()
    assert item.progress_percent == 33 and item.done_quantity == 12
    assert timeline_for(item).last().action == "commitment.progress"
    with pytest.raises(WorkflowError):
        services.report_submit(actor=handler, report=report, narrative="再报", percent=40)


def test_late_report_is_recorded_as_late(running, handler, head):
    item = running()
    slot = _slot(item)
    services.report_slots_generate(today=dt.date(2026, 11, 26))
    slot.refresh_from_db()
    assert slot.status == ReportStatus.MISSING
    report = services.report_submit(
        actor=handler, report=slot, narrative="补报", percent=50, today=dt.date(2026, 11, 27)
    )
    assert report.status == ReportStatus.LATE and report.is_late
    report = services.report_approve(actor=head, report=report)
    assert report.status == ReportStatus.APPROVED and report.is_late


def test_return_reopens_the_slot(running, handler, head):
    item = running()
    slot = _slot(item, due=dt.date(2099, 1, 25), period="2099-01")
    report = services.report_submit(actor=handler, report=slot, narrative="进展", percent=20)
    with pytest.raises(InvalidInput):
        services.report_return(actor=head, report=report, note="")
    report = services.report_return(actor=head, report=report, note="请补充照片")
    assert report.status == ReportStatus.DUE and report.return_note == "请补充照片"


def test_report_input_is_checked(running, handler):
    item = running()
    slot = _slot(item)
    with pytest.raises(InvalidInput) as exc:
        services.report_submit(actor=handler, report=slot, narrative="", percent=120)
    assert exc.value.fields["narrative"] == ["请填写进展情况"]
    assert exc.value.fields["percent"] == ["完成进度应在0至100之间"]
    with pytest.raises(InvalidInput) as exc:
        services.report_submit(
            actor=handler,
            report=slot,
            narrative="进展",
            percent=10,
            photos=[photo("病毒.exe")],
        )
    assert "不是照片" in exc.value.message
    slot.refresh_from_db()
    assert slot.status == ReportStatus.DUE and slot.photos.count() == 0


def test_report_for_a_closed_item_is_refused(running, office, handler, inspector):
    item = running()
    slot = _slot(item, due=dt.date(2026, 10, 26), period="2026-10")
    item = services.commitment_complete(
        actor=handler, commitment=item, note="完成", evidence=[photo()]
    )
    item = services.commitment_accept(actor=inspector, commitment=item)
    item = services.commitment_close(actor=office, commitment=item)
    with pytest.raises(WorkflowError) as exc:
        services.report_submit(actor=handler, report=slot, narrative="进展", percent=100)
    assert "已销号" in exc.value.message


def test_closing_drops_future_slots(running, office, handler, inspector):
    item = running()
    future = _slot(item, due=dt.date(2099, 1, 25), period="2099-01")
    item = services.commitment_complete(
        actor=handler, commitment=item, note="完成", evidence=[photo()]
    )
    services.commitment_accept(actor=inspector, commitment=item)
    assert not ProgressReport.objects.filter(pk=future.pk).exists()


def test_other_unit_cannot_see_or_file(running, make_user):
    item = running()
    slot = _slot(item)
    stranger = make_user("D01", Role.UNIT_HANDLER)
    with pytest.raises(NotFound):
        services.report_submit(actor=stranger, report=slot, narrative="x", percent=1)
    with pytest.raises(NotFound):
        services.report_access(stranger, slot.pk)
    # the office sees the slot but does not file for the unit
    office2 = make_user("C", Role.OFFICE)
    with pytest.raises(PermissionDenied):
        services.report_submit(actor=office2, report=slot, narrative="x", percent=1)


def test_weekly_summary_needs_highlights(running, handler, node):
    running()
    services.report_slots_generate(today=dt.date(2026, 11, 23))
    weekly = ProgressReport.objects.get(kind=ReportKind.WEEKLY, unit=node("D05"))
    with pytest.raises(InvalidInput) as exc:
        services.report_submit(
            actor=handler, report=weekly, narrative="本周推进", today=dt.date(2026, 11, 24)
        )
    assert exc.value.fields == {"highlights": ["周报请填写亮点做法"]}
    report = services.report_submit(
        actor=handler,
        report=weekly,
        narrative="本周推进",
        highlights="推行“周调度”机制",
        today=dt.date(2026, 11, 24),
    )
    assert report.status == ReportStatus.SUBMITTED


def test_punctuality_counts_per_unit(running, handler, office, node):
    item = running()
    other = running(title="农村公路", owner_unit=node("T01"))
    on_time = _slot(item, due=dt.date(2026, 9, 25), period="2026-09")
    late = _slot(item, due=dt.date(2026, 10, 26), period="2026-10")
    _slot(other, due=dt.date(2026, 10, 26), period="2026-10")
    services.report_submit(
        actor=handler, report=on_time, narrative="按时", percent=30, today=dt.date(2026, 9, 24)
    )
    services.report_submit(
        actor=handler, report=late, narrative="迟了", percent=40, today=dt.date(2026, 10, 28)
    )
    services.report_slots_generate(today=dt.date(2026, 11, 1))
    _slot(item, due=dt.date(2026, 11, 1), period="2026-W44")  # due today, not in yet
    rows = {r["unit__name"]: r for r in selectors.punctuality(office, today=dt.date(2026, 11, 1))}
    d05 = rows["住房和城乡建设局"]
    assert (d05["due"], d05["on_time"], d05["late"], d05["missing"], d05["rate"]) == (
        3,
        1,
        1,
        0,
        50.0,
    )
    assert d05["pending"] == 1  # due today: counts neither as on time nor as missed
    t01 = rows["城关街道"]
    assert (t01["due"], t01["missing"], t01["rate"]) == (1, 1, 0.0)
    # a unit sees only its own rows
    mine = selectors.punctuality(handler, today=dt.date(2026, 11, 1))
    assert [r["unit__name"] for r in mine] == ["住房和城乡建设局"]


def test_periodic_job_is_listed():
    from django.conf import settings

    assert "commitments.jobs.generate_report_slots" in settings.PERIODIC_JOBS
    assert Programme._meta.get_field("monthly_due_day").default == 25
    assert Programme._meta.get_field("weekly_due_weekday").default == 3
