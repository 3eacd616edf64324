from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from .models import Rating, TimelineEntry, TrackedItem


def timeline_for(item: TrackedItem, *, public_only: bool = False) -> QuerySet[TimelineEntry]:
    qs = (
        TimelineEntry.objects.filter(
            item_type=ContentType.objects.get_for_model(type(item)), item_id=item.pk
        )
        .prefetch_related("evidence")
        .order_by("id")
    )
    return qs.filter(is_public=True) if public_only else qs


def ratings_for(item: TrackedItem) -> QuerySet[Rating]:
    return Rating.objects.filter(
        item_type=ContentType.objects.get_for_model(type(item)), item_id=item.pk
    ).order_by("-id")
