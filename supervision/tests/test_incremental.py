"""The nightly jobs after the first run read only what changed and what time moved
past a threshold (supervision/jobs.py): the same outcome as a full pass."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Case
from supervision import jobs
from supervision.models import JobMark, LadderPolicy, Notice, Trigger
from tracking.services import timeline_append
from tracking.workdays import add_working_days

from .conftest import TODAY

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - dt.timedelta(days=3)


@pytest.fixture(autouse=True)
def exact_feed(monkeypatch, settings):
    """No re-read margin below the mark (a test database holds few entries) and no
    weekly full pass: what a run reads is only what it must."""
    monkeypatch.setattr(jobs, "FEED_MARGIN", 0)
    settings.SUPERVISION_FULL_SWEEP_DAYS = 1000


def night(day: dt.date) -> dict:
    """The nightly run, then a second one: the second moves the marks past the
    timeline entries the first one wrote, so the next night finds an untouched item
    only because time moved."""
    result = jobs.run_all(day)
    jobs.run_all(day)
    return result


@pytest.fixture
def make_case(node):
    def make(deadline: dt.date | None, state: str = "signed") -> Case:
        case = Case.objects.create(
            text="小区路灯不亮，晚上出行不便",
            state=state,
            place=node("T01V01"),
            owner_unit=node("D05"),
            deadline=deadline,
        )
        untouched(case)
        return case

    return make


def untouched(case: Case) -> None:
    """As if nobody had saved the case since long before the last run."""
    Case.objects.filter(pk=case.pk).update(updated_at=LONG_AGO)


def fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def assert_incremental(first_day: dt.date, day: dt.date) -> None:
    """The run on `day` used the mark of an earlier run, not a full pass."""
    for name in (jobs.STATUS_JOB, jobs.ESCALATE_JOB):
        mark = JobMark.objects.get(name=name)
        assert (mark.day, mark.full_on) == (day, first_day)


def test_untouched_case_becomes_overdue_overnight(make_case):
    due_today = make_case(deadline=TODAY)
    far = make_case(deadline=add_working_days(TODAY, 30))
    night(TODAY)
    assert (fresh(due_today).supervision_status, fresh(due_today).escalation_level) == (
        "at_risk",
        1,
    )
    untouched(due_today)
    # Nobody touches it; the next working day its deadline has passed.
    tomorrow = add_working_days(TODAY, 1)
    result = jobs.run_all(tomorrow)
    assert_incremental(TODAY, tomorrow)
    case = fresh(due_today)
    assert (case.supervision_status, case.escalation_level) == ("overdue", 2)
    assert Notice.objects.filter(item_id=case.pk, status="open").exists()
    assert result["status"]["群众诉求"]["超期"] == 1
    assert fresh(far).supervision_status == "on_track"
    # A second run the same night changes nothing.
    again = jobs.run_all(tomorrow)
    assert again["status"]["群众诉求"] == {"超期": 0, "预警": 0, "正常": 0, "解除督办": 0}
    assert again["escalate"]["群众诉求"] == {}


def test_untouched_case_climbs_the_ladder_night_after_night(make_case):
    case = make_case(deadline=add_working_days(TODAY, 2))
    day = TODAY
    levels = {}
    for _ in range(20):
        night(day)
        untouched(case)
        levels[day] = fresh(case).escalation_level
        day += dt.timedelta(days=1)
    deadline = case.deadline
    assert levels[TODAY] == 1  # due soon: reminder
    assert levels[add_working_days(deadline, 1)] == 2  # one working day overdue: notice
    # Notices unanswered nowhere in the default ladder: 10 working days overdue -> criticism
    assert levels[add_working_days(deadline, 9)] == 2
    assert levels[add_working_days(deadline, 10)] == 3
    assert JobMark.objects.get(name=jobs.ESCALATE_JOB).full_on == TODAY


def test_unanswered_notice_is_caught_when_its_answer_date_passes(make_case):
    LadderPolicy.objects.create(
        name="督办单逾期即通报",
        scope_key="",
        rung3_trigger=Trigger.NOTICE_UNANSWERED,
        rung3_delay=1,
    )
    case = make_case(deadline=add_working_days(TODAY, -1))
    night(TODAY)
    notice = Notice.objects.get(item_id=case.pk)
    assert fresh(case).escalation_level == 2
    untouched(case)
    night(notice.answer_due)
    assert fresh(case).escalation_level == 2  # due today: not yet late
    untouched(case)
    day = add_working_days(notice.answer_due, 1)
    jobs.run_all(day)
    assert_incremental(TODAY, day)
    assert fresh(case).escalation_level == 3


def test_case_finished_between_runs_is_deescalated(make_case, make_user):
    handler = make_user("D05", "unit_handler")
    case = make_case(deadline=add_working_days(TODAY, -2))
    jobs.run_all(TODAY)
    assert fresh(case).escalation_level == 2
    case_services.case_reply(actor=handler, case=fresh(case), result="已修复路灯")
    untouched(case)  # only the timeline shows the change
    tomorrow = add_working_days(TODAY, 1)
    jobs.run_all(tomorrow)
    assert_incremental(TODAY, tomorrow)
    case = fresh(case)
    assert (case.state, case.supervision_status, case.escalation_level) == (
        "replied",
        "on_track",
        0,
    )
    assert Notice.objects.get(item_id=case.pk).status == "closed"


def test_case_edited_between_runs_is_read_again(make_case, office):
    case = make_case(deadline=add_working_days(TODAY, -1))
    night(TODAY)
    assert fresh(case).supervision_status == "overdue"
    # An edit (deadline extended) leaves its timeline entry, as every edit does.
    case = fresh(case)
    case.deadline = add_working_days(TODAY, 20)
    case.save()
    timeline_append(item=case, actor=office, action="case.edit", action_label="延期")
    untouched(case)
    jobs.run_all(TODAY)
    case = fresh(case)
    assert (case.supervision_status, case.escalation_level) == ("on_track", 0)


def test_changed_policy_means_a_full_pass(make_case):
    case = make_case(deadline=add_working_days(TODAY, 8))
    jobs.run_all(TODAY)
    assert fresh(case).supervision_status == "on_track"
    untouched(case)
    LadderPolicy.objects.create(name="提前预警", scope_key="", due_soon_workdays=10)
    jobs.run_all(TODAY)
    assert fresh(case).supervision_status == "at_risk"
    assert JobMark.objects.get(name=jobs.STATUS_JOB).full_on == TODAY


def test_full_pass_at_least_weekly(make_case, settings):
    settings.SUPERVISION_FULL_SWEEP_DAYS = 7
    case = make_case(deadline=add_working_days(TODAY, 30))
    night(TODAY)
    # A change no run could see (no save, no timeline entry): the weekly pass finds it.
    Case.objects.filter(pk=case.pk).update(deadline=add_working_days(TODAY, -12))
    jobs.run_all(TODAY + dt.timedelta(days=1))
    assert fresh(case).escalation_level == 0  # not seen yet
    week_later = TODAY + dt.timedelta(days=7)
    jobs.run_all(week_later)
    assert fresh(case).escalation_level == 3
    assert JobMark.objects.get(name=jobs.STATUS_JOB).full_on == week_later
