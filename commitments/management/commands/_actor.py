from django.core.management.base import CommandError

from orgs.models import User


def command_actor(username: str | None) -> User:
    qs = User.objects.filter(is_active=True)
    user = (
        qs.filter(username=username).first() if username else qs.filter(is_superuser=True).first()
    )
    if user is None:
        raise CommandError(f"找不到用户{username or '（系统管理员）'}，请用 --user 指定")
    return user
