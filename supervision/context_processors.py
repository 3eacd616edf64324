"""The header bell: the unread count of the user's in-app notifications.

base.html shows `header_bell` when a context processor supplies it, so core
knows nothing of this app.
"""

from django.urls import reverse


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"header_bell": {"url": reverse("supervision:notifications"), "unread": unread}}
