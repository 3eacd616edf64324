from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("supervision/", views.board, name="board"),
    path("supervision/items/<str:kind_key>/<int:pk>/", views.item, name="item"),
    path(
        "supervision/items/<str:kind_key>/<int:pk>/escalate/",
        views.item_escalate,
        name="item_escalate",
    ),
    path(
        "supervision/items/<str:kind_key>/<int:pk>/deescalate/",
        views.item_deescalate,
        name="item_deescalate",
    ),
    path("supervision/notices/", views.notices, name="notices"),
    path("supervision/notices/<int:pk>/", views.notice_detail, name="notice"),
    path("supervision/referrals/", views.referrals, name="referrals"),
    path("supervision/referrals/<int:pk>/dossier.docx", views.referral_dossier, name="dossier"),
    path("supervision/notifications/", views.notifications, name="notifications"),
    path("supervision/notifications/<int:pk>/", views.notification_open, name="notification"),
    path("supervision/groups/", views.groups, name="groups"),
    path("supervision/groups/<int:pk>/", views.group_detail, name="group"),
    path("supervision/groups/<int:pk>/calls/", views.call_list, name="call_list"),
    path(
        "supervision/groups/<int:pk>/calls/<str:kind_key>/<int:item_id>/",
        views.visit,
        name="visit",
    ),
    path("supervision/checks/<int:pk>/", views.check_detail, name="check"),
]
