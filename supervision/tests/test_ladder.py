"""Status and the escalation ladder as the periodic job applies them."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from core.models import JobLock
from core.periodic import run_all as run_periodic
from orgs.models import Role
from supervision import jobs
from supervision.channels import LogSMS
from supervision.models import (
    BriefingListing,
    LadderPolicy,
    Notice,
    Notification,
    Referral,
    Trigger,
)
from tests.kernelapp.models import Widget
from tracking.models import TimelineEntry
from tracking.workdays import add_working_days

from .conftest import TODAY, days_ago

pytestmark = pytest.mark.django_db


def run():
    return jobs.run_all(TODAY)


def fresh(w):
    w.refresh_from_db()
    return w


def entries(w, action):
    return TimelineEntry.objects.filter(
        item_type=ContentType.objects.get_for_model(Widget), item_id=w.pk, action=action
    )


# --- status ------------------------------------------------------------------------


def test_status_on_track_at_risk_overdue(make_widget):
    far = make_widget(deadline=add_working_days(TODAY, 30), progress_percent=60)
    soon = make_widget(deadline=add_working_days(TODAY, 1))
    late = make_widget(deadline=days_ago(1))
    no_deadline = make_widget(deadline=None)
    run()
    assert fresh(far).supervision_status == "on_track"
    assert fresh(soon).supervision_status == "at_risk"
    assert fresh(late).supervision_status == "overdue"
    assert fresh(no_deadline).supervision_status == "on_track"


def test_behind_schedule_is_at_risk(make_widget):
    # created 2026-10-01, deadline 2026-12-23: by TODAY two thirds of the time has passed
    deadline = add_working_days(TODAY, 20)
    behind = make_widget(deadline=deadline, progress_percent=20)
    on_pace = make_widget(deadline=deadline, progress_percent=60)
    run()
    assert fresh(behind).supervision_status == "at_risk"
    assert fresh(on_pace).supervision_status == "on_track"


def test_gap_is_configurable(make_widget):
    LadderPolicy.objects.create(name="宽松", scope_key="", at_risk_gap=50)
    w = make_widget(deadline=add_working_days(TODAY, 20), progress_percent=20)
    run()
    assert fresh(w).supervision_status == "on_track"


def test_missing_report_is_at_risk_through_the_kind_hook(make_widget):
    w = make_widget(deadline=add_working_days(TODAY, 30), progress_percent=90, report_missing=True)
    run()
    assert fresh(w).supervision_status == "at_risk"
    LadderPolicy.objects.create(name="不看报告", scope_key="", missing_report_at_risk=False)
    w.report_missing = True
    run()
    assert fresh(w).supervision_status == "on_track"


def test_overdue_counts_working_days_not_calendar_days(make_widget):
    # Deadline on Friday: on the next Saturday and Sunday no working day has passed.
    import datetime as dt

    friday = dt.date(2026, 11, 20)
    w = make_widget(deadline=friday)
    jobs.status_recompute(dt.date(2026, 11, 22))  # Sunday
    assert fresh(w).supervision_status == "at_risk"
    jobs.status_recompute(dt.date(2026, 11, 23))  # Monday
    assert fresh(w).supervision_status == "overdue"


# --- each rung's trigger ---------------------------------------------------------------


def test_rung1_reminder_when_at_risk(make_widget, handler):
    w = make_widget(deadline=add_working_days(TODAY, 1))
    run()
    w = fresh(w)
    assert w.escalation_level == 1
    entry = entries(w, "supervision.escalate").get()
    assert entry.action_label == "督办提醒" and entry.actor is None and not entry.is_public
    note = Notification.objects.get(recipient=handler, item_id=w.pk)
    assert "提醒" in note.title
    assert not Notice.objects.exists()


def test_rung2_notice_when_overdue(make_widget, handler):
    LogSMS.outbox.clear()
    w = make_widget(deadline=days_ago(1))
    run()
    w = fresh(w)
    assert w.escalation_level == 2
    notice = Notice.objects.get(item_id=w.pk)
    assert notice.status == "open" and notice.unit_id == w.owner_unit_id
    assert notice.answer_due == add_working_days(TODAY, 3)
    assert Notification.objects.filter(recipient=handler, item_id=w.pk, level=2).exists()
    assert any(phone == "13900000001" for phone, _ in LogSMS.outbox)


def test_rung3_listed_for_briefing(make_widget):
    w = make_widget(deadline=days_ago(10))
    run()
    assert fresh(w).escalation_level == 3
    assert BriefingListing.objects.filter(item_id=w.pk, briefed_at__isnull=True).count() == 1
    assert Notice.objects.filter(item_id=w.pk).count() == 1  # the rungs below happen too


def test_rung4_public_mark(make_widget):
    w = make_widget(deadline=days_ago(20))
    run()
    assert fresh(w).escalation_level == 4
    assert entries(w, "supervision.escalate").get().is_public


def test_rung5_referral_and_discipline_told(make_widget, discipline):
    w = make_widget(deadline=days_ago(30))
    run()
    assert fresh(w).escalation_level == 5
    referral = Referral.objects.get(item_id=w.pk)
    assert referral.unit_id == w.owner_unit_id
    assert Notification.objects.filter(recipient=discipline, item_id=w.pk).exists()


def test_one_day_short_of_a_rung_stays_below(make_widget):
    w = make_widget(deadline=days_ago(9))
    run()
    assert fresh(w).escalation_level == 2


def test_notice_unanswered_trigger(make_widget, handler):
    LadderPolicy.objects.create(
        name="督办单逾期即通报",
        scope_key="",
        rung3_trigger=Trigger.NOTICE_UNANSWERED,
        rung3_delay=1,
    )
    w = make_widget(deadline=days_ago(1))
    jobs.run_all(TODAY)
    assert fresh(w).escalation_level == 2
    notice = Notice.objects.get(item_id=w.pk)
    jobs.run_all(notice.answer_due)
    assert fresh(w).escalation_level == 2  # due today: not late yet
    later = add_working_days(notice.answer_due, 1)
    jobs.run_all(later)
    assert fresh(w).escalation_level == 3


def test_answered_notice_does_not_trigger(make_widget, handler):
    from supervision import services

    LadderPolicy.objects.create(
        name="督办单逾期即通报",
        scope_key="",
        rung3_trigger=Trigger.NOTICE_UNANSWERED,
        rung3_delay=1,
    )
    w = make_widget(deadline=days_ago(1))
    jobs.run_all(TODAY)
    notice = Notice.objects.get(item_id=w.pk)
    services.notice_answer(
        actor=handler, notice_id=notice.pk, answer="已安排施工队，本周五前完成维修。"
    )
    jobs.run_all(add_working_days(notice.answer_due, 2))
    assert fresh(w).escalation_level == 2


def test_rung_can_be_switched_off_and_scoped_to_a_kind(make_widget):
    LadderPolicy.objects.create(name="全局", scope_key="")
    LadderPolicy.objects.create(
        name="测试事项不移送", scope_key="kernelapp.widget", rung5_trigger=Trigger.OFF
    )
    w = make_widget(deadline=days_ago(30))
    run()
    assert fresh(w).escalation_level == 4
    assert not Referral.objects.exists()


def test_programme_override_by_scope_key(make_widget):
    # A per-programme key "label:field=value" (here the widget's title stands in for a programme)
    LadderPolicy.objects.create(
        name="重点项目从严", scope_key="kernelapp.widget:title=重点", rung2_trigger=Trigger.AT_RISK
    )
    strict = make_widget(deadline=add_working_days(TODAY, 1), title="重点")
    normal = make_widget(deadline=add_working_days(TODAY, 1), title="一般")
    run()
    assert fresh(strict).escalation_level == 2
    assert fresh(normal).escalation_level == 1


def test_notice_reminder_sent_once(make_widget, handler):
    w = make_widget(deadline=days_ago(1))
    jobs.run_all(TODAY)
    notice = Notice.objects.get(item_id=w.pk)
    day_before = add_working_days(notice.answer_due, -1)
    first = jobs.notice_reminders(day_before)
    second = jobs.notice_reminders(day_before)
    assert first == {"提醒": 1} and second == {"提醒": 0}
    assert Notification.objects.filter(recipient=handler, title__contains="即将到期").count() == 1


# --- recovery ---------------------------------------------------------------------------


def test_recovered_item_is_deescalated(make_widget):
    w = make_widget(deadline=days_ago(1))
    run()
    assert fresh(w).escalation_level == 2
    Widget.objects.filter(pk=w.pk).update(deadline=add_working_days(TODAY, 30), progress_percent=80)
    run()
    w = fresh(w)
    assert (w.supervision_status, w.escalation_level) == ("on_track", 0)
    entry = entries(w, "supervision.deescalate").get()
    assert entry.action_label == "解除督办" and entry.data == {"from": 2, "to": 0, "manual": False}
    assert Notice.objects.get(item_id=w.pk).status == "closed"


def test_finished_item_is_deescalated_but_referral_stays(make_widget):
    w = make_widget(deadline=days_ago(30))
    run()
    Widget.objects.filter(pk=w.pk).update(state="done")
    run()
    w = fresh(w)
    assert w.escalation_level == 0
    assert "已办结" in entries(w, "supervision.deescalate").get().note
    assert Referral.objects.filter(item_id=w.pk).exists()


# --- idempotence ------------------------------------------------------------------------


def _snapshot():
    return (
        list(
            Widget.objects.order_by("pk").values_list(
                "pk", "supervision_status", "escalation_level"
            )
        ),
        TimelineEntry.objects.count(),
        Notice.objects.count(),
        BriefingListing.objects.count(),
        Referral.objects.count(),
        Notification.objects.count(),
    )


def test_second_run_changes_nothing(make_widget, handler, discipline):
    for n in (None, -1, 1, 9, 10, 20, 30, 45):
        make_widget(
            deadline=None if n is None else days_ago(n) if n > 0 else add_working_days(TODAY, -n)
        )
    make_widget(deadline=add_working_days(TODAY, 20), progress_percent=5)
    make_widget(deadline=add_working_days(TODAY, 30), report_missing=True)
    first = run()
    after_first = _snapshot()
    assert first["escalate"]["测试事项"] == {
        "移送纪委": 2,
        "媒体曝光": 1,
        "通报批评": 1,
        "督办单": 2,
        "提醒": 3,
    }
    second = run()
    assert _snapshot() == after_first
    assert second["escalate"]["测试事项"] == {}
    assert set(second["status"]["测试事项"].values()) == {0}


def test_run_periodic_runs_the_jobs_under_the_lock(make_widget, settings):
    settings.PERIODIC_JOBS = [j for j in settings.PERIODIC_JOBS if j.startswith("supervision.")]
    w = make_widget(deadline=days_ago(1))
    report = run_periodic(owner="test")
    assert "supervision.jobs.escalate" in report
    assert fresh(w).escalation_level >= 2
    before = _snapshot()
    run_periodic(owner="test")
    assert _snapshot() == before


def test_a_backlog_is_notified_as_one_digest(make_widget, handler, node, make_user):
    for _ in range(25):
        make_widget(deadline=days_ago(2))
    lone = make_widget(deadline=days_ago(2), owner=node("D01"))
    other = make_user("D01", Role.UNIT_HEAD)
    run()
    mine = Notification.objects.filter(recipient=handler)
    assert mine.count() == 1
    assert "25件" in mine.get().title and mine.get().url == "/supervision/notices/"
    assert Notice.objects.count() == 26  # each item still gets its own notice
    assert fresh(lone).escalation_level == 2
    assert Notification.objects.get(recipient=other).item_id == lone.pk  # one item: told per item


def test_referral_is_told_to_the_commission_that_oversees_the_unit(
    make_widget, discipline, make_user
):
    town_commission = make_user("T04", Role.DISCIPLINE)
    w = make_widget(deadline=days_ago(30))
    run()
    assert Notification.objects.filter(recipient=discipline, item_id=w.pk).exists()
    assert not Notification.objects.filter(recipient=town_commission).exists()


def test_a_failing_job_is_reported_and_the_others_still_run(make_widget, settings):
    settings.PERIODIC_JOBS = [
        "supervision.jobs.status_recompute",
        "supervision.tests.test_ladder.broken_job",
        "supervision.jobs.escalate",
    ]
    w = make_widget(deadline=days_ago(1))
    report = run_periodic(owner="test")
    assert report["supervision.tests.test_ladder.broken_job"]["error"] == "RuntimeError: 坏了"
    assert "result" in report["supervision.jobs.escalate"]
    assert fresh(w).escalation_level >= 2
    assert not JobLock.objects.exists()  # released
    with pytest.raises(CommandError, match="broken_job"):
        call_command("run_periodic")


def broken_job():
    raise RuntimeError("坏了")
