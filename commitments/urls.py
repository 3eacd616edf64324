from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("commitments/", views.programmes, name="programmes"),
    path("commitments/items/", views.item_list, name="items"),
    path("commitments/p/<int:pk>/", views.programme_detail, name="programme"),
    path("commitments/p/<int:pk>/cadence/", views.programme_cadence, name="cadence"),
    path("commitments/p/<int:pk>/board/", views.board, name="board"),
    path("commitments/p/<int:pk>/rectification/", views.rectification, name="rectification"),
    path("commitments/p/<int:pk>/export/", views.export, name="export"),
    path("commitments/p/<int:pk>/new/", views.create, name="create"),
    path("commitments/<int:pk>/", views.detail, name="detail"),
    path("commitments/<int:pk>/edit/", views.edit, name="edit"),
    path("commitments/<int:pk>/act/<str:name>/", views.act, name="act"),
    path("commitments/<int:pk>/evidence/<int:evidence_id>/", views.evidence, name="evidence"),
    path("commitments/reports/", views.reports_due, name="reports-due"),
    path("commitments/reports/punctuality/", views.punctuality, name="punctuality"),
    path("commitments/reports/<int:pk>/", views.report_detail, name="report"),
    path("commitments/reports/<int:pk>/<str:decision>/", views.report_decide, name="report-decide"),
    path("commitments/photos/<int:pk>/", views.report_photo, name="photo"),
    path("commitments/import/", views.import_ledger, name="import"),
    path("commitments/import/progress/", views.import_progress, name="import-progress"),
]
