from django.conf import settings

from . import nav


def site(request):
    ctx = {"SITE_NAME": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        ctx["staff_nav"] = nav.staff_nav(user)
    else:
        ctx["public_nav"] = ctx["public_tiles"] = nav.public_nav()
    return ctx
