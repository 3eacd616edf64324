from django.urls import path

from orgs import views as org_views

from . import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/org/", org_views.org_node, name="org-node-home"),
    path("staff/org/<int:node_id>/", org_views.org_node, name="org-node"),
]
