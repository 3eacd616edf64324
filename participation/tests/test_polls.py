"""网络比选: the office runs a poll; verified phones vote once; abuse is refused."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sms
from core.errors import InvalidInput, PermissionDenied, WorkflowError
from orgs.models import Role
from participation import services
from participation.models import Poll, Vote

pytestmark = pytest.mark.django_db


def _ids(poll):
    return list(poll.options.values_list("pk", flat=True))


def test_office_creates_opens_closes_and_publishes(office):
    now = timezone.now()
    poll = services.poll_create(
        actor=office, title="比选", starts_at=now, ends_at=now + dt.timedelta(days=1)
    )
    assert poll.status == Poll.Status.DRAFT
    with pytest.raises(WorkflowError, match="至少需要两个选项"):
        services.poll_open(actor=office, poll=poll)
    services.poll_option_add(actor=office, poll=poll, title="甲")
    services.poll_option_add(actor=office, poll=poll, title="乙")
    poll = services.poll_open(actor=office, poll=poll)
    assert poll.status == Poll.Status.OPEN and poll.opened_at
    with pytest.raises(WorkflowError, match="不能再增加选项"):
        services.poll_option_add(actor=office, poll=poll, title="丙")
    with pytest.raises(WorkflowError, match="须先截止"):
        services.poll_publish(actor=office, poll=poll, outcome="甲胜出")
    poll = services.poll_close(actor=office, poll=poll)
    with pytest.raises(InvalidInput, match="请填写比选结果"):
        services.poll_publish(actor=office, poll=poll, outcome=" ")
    poll = services.poll_publish(actor=office, poll=poll, outcome="甲胜出")
    assert poll.status == Poll.Status.PUBLISHED and poll.outcome == "甲胜出"


def test_bad_window_refused_and_nothing_saved(office):
    now = timezone.now()
    with pytest.raises(InvalidInput) as exc:
        services.poll_create(actor=office, title="比选", starts_at=now, ends_at=now)
    assert "截止时间须晚于开始时间" in exc.value.message
    assert not Poll.objects.exists()


def test_only_the_office_runs_polls(make_user, open_poll):
    handler = make_user("D05", Role.UNIT_HANDLER)
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        services.poll_create(
            actor=handler, title="x", starts_at=now, ends_at=now + dt.timedelta(days=1)
        )
    with pytest.raises(PermissionDenied):
        services.poll_close(actor=handler, poll=open_poll)


def test_verified_phone_votes_once(open_poll, verify):
    phone = verify("13912340001", services.PURPOSE_VOTE)
    first = _ids(open_poll)[0]
    [vote] = services.poll_vote(poll=open_poll, option_ids=[first], phone=phone)
    open_poll.refresh_from_db()
    assert open_poll.vote_count == 1 and open_poll.options.get(pk=first).votes == 1
    assert phone not in vote.voter_key and len(vote.voter_key) == 40  # only a salted hash
    with pytest.raises(WorkflowError) as exc:
        services.poll_vote(poll=open_poll, option_ids=[_ids(open_poll)[1]], phone=phone)
    assert exc.value.code == "already_voted" and "已在本次比选中投过票" in exc.value.message
    # the same phone written differently is the same voter
    with pytest.raises(WorkflowError):
        services.poll_vote(poll=open_poll, option_ids=[first], phone="+86 139-1234-0001")
    assert Vote.objects.count() == 1


def test_unverified_phone_refused(open_poll, verify):
    with pytest.raises(PermissionDenied, match="验证码"):
        services.poll_vote(poll=open_poll, option_ids=_ids(open_poll)[:1], phone="13912340002")
    # a phone verified for another purpose does not vote
    verify("13912340003", services.PURPOSE_WISH)
    with pytest.raises(PermissionDenied):
        services.poll_vote(poll=open_poll, option_ids=_ids(open_poll)[:1], phone="13912340003")
    assert not Vote.objects.exists()


def test_vote_after_close_refused(open_poll, office, verify):
    services.poll_close(actor=office, poll=open_poll)
    phone = verify("13912340004", services.PURPOSE_VOTE)
    with pytest.raises(WorkflowError) as exc:
        services.poll_vote(poll=open_poll, option_ids=_ids(open_poll)[:1], phone=phone)
    assert exc.value.code == "poll_closed"
    assert not Vote.objects.exists()


def test_vote_after_end_time_refused_and_job_closes(open_poll, verify):
    Poll.objects.filter(pk=open_poll.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    open_poll.refresh_from_db()
    phone = verify("13912340005", services.PURPOSE_VOTE)
    with pytest.raises(WorkflowError, match="已截止"):
        services.poll_vote(poll=open_poll, option_ids=_ids(open_poll)[:1], phone=phone)
    assert services.polls_close_expired() == {"closed": 1}
    assert services.polls_close_expired() == {"closed": 0}  # idempotent
    open_poll.refresh_from_db()
    assert open_poll.status == Poll.Status.CLOSED


def test_bad_options_refused(open_poll, office, verify):
    phone = verify("13912340006", services.PURPOSE_VOTE)
    with pytest.raises(InvalidInput, match="请选择一个选项"):
        services.poll_vote(poll=open_poll, option_ids=[], phone=phone)
    with pytest.raises(InvalidInput, match="最多选择1项"):
        services.poll_vote(poll=open_poll, option_ids=_ids(open_poll)[:2], phone=phone)
    now = timezone.now()
    other = services.poll_create(
        actor=office,
        title="另一个",
        starts_at=now,
        ends_at=now + dt.timedelta(days=1),
        options=[{"title": "x"}, {"title": "y"}],
    )
    with pytest.raises(InvalidInput, match="不属于本次比选"):
        services.poll_vote(poll=open_poll, option_ids=_ids(other)[:1], phone=phone)
    assert not Vote.objects.exists()


def test_draft_poll_is_not_public(client, office):
    now = timezone.now()
    poll = services.poll_create(
        actor=office, title="草稿比选", starts_at=now, ends_at=now + dt.timedelta(days=1)
    )
    assert client.get(reverse("participation:poll", args=[poll.pk])).status_code == 404
    assert "草稿比选" not in client.get(reverse("participation:polls")).content.decode()


def test_vote_over_http_with_sms_code(client, open_poll):
    url = reverse("participation:poll", args=[open_poll.pk])
    page = client.get(url).content.decode()
    assert "获取验证码" in page and "hx-get" in page  # live results poll while open
    r = client.post(url, {"phone": "13912340007", "action": "send_code"})
    assert "验证码已发送" in r.content.decode()
    code = sms.last_code_for("13912340007")
    option = _ids(open_poll)[1]
    r = client.post(
        url,
        {
            "phone": "13912340007",
            "code": "000000" if code != "000000" else "111111",
            "option": option,
        },
    )
    assert "验证码不正确" in r.content.decode() and not Vote.objects.exists()
    r = client.post(url, {"phone": "13912340007", "code": code, "option": option, "action": "vote"})
    assert "投票成功" in r.content.decode()
    assert Vote.objects.get().option_id == option
    r = client.post(url, {"phone": "13912340007", "code": "", "option": option, "action": "vote"})
    assert "已在本次比选中投过票" in r.content.decode()
    results = client.get(
        reverse("participation:poll-results", args=[open_poll.pk])
    ).content.decode()
    assert "共 1 人参与" in results and "1票 · 100.0%" in results


@pytest.fixture
def day_windows(monkeypatch):
    # Fixed windows of a day: a burst never straddles a window edge mid-test.
    from participation import views

    monkeypatch.setitem(views.RATES, "post", "30/d")
    monkeypatch.setitem(views.RATES, "code_phone", "5/d")


def test_burst_of_posts_refused(client, open_poll, day_windows):
    url = reverse("participation:poll", args=[open_poll.pk])
    statuses = [
        client.post(url, {"phone": f"1391234{i:04d}", "action": "vote", "option": 1}).status_code
        for i in range(40)
    ]
    assert statuses[:30] == [200] * 30
    assert set(statuses[30:]) == {429}
    assert "操作过于频繁" in client.post(url, {"action": "vote"}).content.decode()
    assert not Vote.objects.exists()


def test_sms_code_burst_per_phone_refused(client, open_poll, day_windows):
    url = reverse("participation:poll", args=[open_poll.pk])
    for _ in range(5):
        r = client.post(url, {"phone": "13912349999", "action": "send_code"})
        assert "验证码已发送" in r.content.decode()
    r = client.post(url, {"phone": "13912349999", "action": "send_code"})
    assert "验证码发送过于频繁" in r.content.decode()


def test_staff_poll_pages(client, office):
    client.force_login(office)
    r = client.post(
        reverse("participation:staff-polls"),
        {"title": "新比选", "starts_at": "2030-01-01T08:00", "ends_at": "2030-01-10T08:00"},
    )
    poll = Poll.objects.get(title="新比选")
    assert r.status_code == 302
    url = reverse("participation:staff-poll", args=[poll.pk])
    for t in ("甲", "乙"):
        client.post(url, {"action": "option", "title": t})
    client.post(url, {"action": "open"})
    poll.refresh_from_db()
    assert poll.status == "open" and poll.options.count() == 2
    assert "投票中" in client.get(url).content.decode()
