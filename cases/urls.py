from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    # public (residents, no account)
    path("submit/", views.submit, name="submit"),
    path("submit/done/<str:code>/", views.submitted, name="submitted"),
    path("submit/sms/", views.send_sms, name="send-sms"),
    path("submit/places/", views.places, name="places"),
    path("follow/", views.follow, name="follow"),
    path("follow/rate/", views.rate, name="rate"),
    path("files/<str:token>/", views.evidence, name="evidence"),
    # staff
    path("staff/cases/", views.case_list, name="list"),
    path("staff/cases/triage/", views.triage, name="triage"),
    path("staff/cases/triage/<int:pk>/<slug:name>/", views.triage_act, name="triage-act"),
    path("staff/cases/inbox/", views.inbox, name="inbox"),
    path("staff/cases/intake/", views.intake, name="intake"),
    path("staff/cases/<int:pk>/", views.case_detail, name="detail"),
    path("staff/cases/<int:pk>/<slug:name>/", views.case_act, name="act"),
]
