"""Escalation and de-escalation by hand, through the services and over HTTP."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from core.errors import InvalidInput, NotFound, PermissionDenied, WorkflowError
from orgs.models import Role
from supervision import services
from supervision.models import Notice, Referral
from tests.kernelapp.models import Widget
from tracking.models import TimelineEntry
from tracking.workdays import add_working_days

from .conftest import KEY, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(make_widget):
    return make_widget(deadline=add_working_days(TODAY, 30))


def escalations(item):
    return TimelineEntry.objects.filter(
        item_type=ContentType.objects.get_for_model(Widget),
        item_id=item.pk,
        action__startswith="supervision.",
    )


def test_manual_escalation_with_reason(item, office):
    services.item_escalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=3, reason="群众多次反映，进展缓慢"
    )
    item.refresh_from_db()
    assert item.escalation_level == 3
    entry = escalations(item).get()
    assert entry.actor == office and entry.note == "群众多次反映，进展缓慢"
    assert entry.data == {"from": 0, "to": 3, "manual": True}
    notice = Notice.objects.get(item_id=item.pk)
    assert notice.issued_by == office and notice.reason == "群众多次反映，进展缓慢"


def test_manual_escalation_survives_the_job(item, office):
    from supervision import jobs

    services.item_escalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=2, reason="约谈后仍未推进"
    )
    jobs.run_all(TODAY)
    item.refresh_from_db()
    assert item.escalation_level == 2  # on track, but no recovery happened: the hand step stays


def test_manual_referral_creates_the_dossier_record(item, office):
    services.item_escalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=5, reason="弄虚作假，性质严重"
    )
    assert Referral.objects.get(item_id=item.pk).created_by == office


@pytest.mark.parametrize(
    "level, reason, error",
    [
        (3, "", InvalidInput),
        (3, "太慢", InvalidInput),
        (9, "群众多次反映问题", InvalidInput),
        ("x", "群众多次反映问题", InvalidInput),
    ],
)
def test_bad_input_saves_nothing(item, office, level, reason, error):
    with pytest.raises(error) as exc:
        services.item_escalate(
            actor=office, kind_key=KEY, item_id=item.pk, level=level, reason=reason
        )
    assert exc.value.fields
    item.refresh_from_db()
    assert item.escalation_level == 0 and not escalations(item).exists()


def test_only_upwards_and_only_open_items(item, office, make_widget):
    services.item_escalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=2, reason="第一次督办理由"
    )
    with pytest.raises(WorkflowError) as exc:
        services.item_escalate(
            actor=office, kind_key=KEY, item_id=item.pk, level=1, reason="降级不应走这里"
        )
    assert "只能向上升级" in exc.value.message
    done = make_widget(state="done")
    with pytest.raises(WorkflowError):
        services.item_escalate(
            actor=office, kind_key=KEY, item_id=done.pk, level=1, reason="已办结的事项"
        )


def test_wrong_actor_and_wrong_subtree(item, make_user):
    handler = make_user("D05", Role.UNIT_HANDLER)
    with pytest.raises(PermissionDenied):
        services.item_escalate(
            actor=handler, kind_key=KEY, item_id=item.pk, level=1, reason="不该由我来督办"
        )
    other_town = make_user("T04", Role.OFFICE)
    with pytest.raises(NotFound):
        services.item_escalate(
            actor=other_town, kind_key=KEY, item_id=item.pk, level=1, reason="别的乡镇的事项"
        )
    with pytest.raises(NotFound):
        services.item_escalate(
            actor=other_town,
            kind_key="nope.model",
            item_id=item.pk,
            level=1,
            reason="未知的事项类别",
        )
    item.refresh_from_db()
    assert item.escalation_level == 0


def test_manual_deescalation(item, office, make_user):
    services.item_escalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=4, reason="长期未整改"
    )
    inspector = make_user("C", Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        services.item_deescalate(
            actor=inspector, kind_key=KEY, item_id=item.pk, reason="已整改到位了"
        )
    services.item_deescalate(
        actor=office, kind_key=KEY, item_id=item.pk, level=1, reason="已制定整改方案"
    )
    item.refresh_from_db()
    assert item.escalation_level == 1
    entry = escalations(item).filter(action="supervision.deescalate").get()
    assert entry.is_public and entry.note == "已制定整改方案"  # lifting the public mark is public
    assert Notice.objects.get(item_id=item.pk).status == "closed"


def test_escalation_over_http(item, office, client):
    client.force_login(office)
    url = f"/supervision/items/{KEY}/{item.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "人工升级督办" in page.content.decode()
    client.post(url + "escalate/", {"level": "2", "reason": ""})
    item.refresh_from_db()
    assert item.escalation_level == 0
    follow = client.post(url + "escalate/", {"level": "2", "reason": "进度严重滞后"}, follow=True)
    assert "已升级督办" in follow.content.decode()
    item.refresh_from_db()
    assert item.escalation_level == 2
    assert "进度严重滞后" in client.get(url).content.decode()


def test_item_page_of_another_town_is_404(item, make_user, client):
    client.force_login(make_user("T04", Role.OFFICE))
    assert client.get(f"/supervision/items/{KEY}/{item.pk}/").status_code == 404
    assert client.get(f"/supervision/items/{KEY}/999999/").status_code == 404
