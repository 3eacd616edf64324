from django.contrib import admin
from django.urls import include, path

from core import views as core_views

admin.site.site_header = "我为群众办实事 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("orgs.urls")),
    path("", include("core.urls")),
    path("", include("cases.urls")),
    path("", include("commitments.urls")),
    path("", include("supervision.urls")),
    path("", include("participation.urls")),
    path("", include("figures.urls")),
    path("", include("api.urls")),
]
