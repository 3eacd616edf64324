from django.urls import path

from . import views

app_name = "figures"

urlpatterns = [
    path("staff/figures/", views.dashboard, name="dashboard"),
    path("staff/figures/ranking/", views.ranking_page, name="ranking"),
    path("staff/figures/weights/", views.weights_page, name="weights"),
    path("staff/figures/activities/", views.activities, name="activities"),
    path("staff/figures/activities/new/", views.activity_new, name="activity-new"),
    path("staff/figures/activities/<int:pk>/", views.activity_detail, name="activity"),
    path("staff/figures/cases/", views.cases_list, name="cases"),
    path("staff/figures/commitments/", views.commitments_list, name="commitments"),
    path("staff/figures/briefing/", views.briefing_page, name="briefing"),
    path("staff/figures/briefing/pick/", views.highlight_pick, name="highlight-pick"),
    path("staff/figures/briefing/remove/", views.highlight_remove, name="highlight-remove"),
    path("staff/figures/briefing/download/", views.briefing_download, name="briefing-download"),
]
