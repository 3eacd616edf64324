from django.urls import path

from . import board, staff_views, views

app_name = "participation"

urlpatterns = [
    # public: no login
    path("board/", board.board_page, name="board"),
    path("board/units/", board.units_page, name="units"),
    path("board/cases/", board.case_results_page, name="case-results"),
    path("board/<int:pk>/", board.commitment_page, name="commitment"),
    path("wall/", views.wall, name="wall"),
    path("wall/rate/<int:ct>/<int:pk>/", views.wall_rate, name="wall-rate"),
    path("polls/", views.polls, name="polls"),
    path("polls/<int:pk>/", views.poll, name="poll"),
    path("polls/<int:pk>/results/", views.poll_results, name="poll-results"),
    path("wishes/", views.wishes, name="wishes"),
    path("wishes/new/", views.wish_new, name="wish-new"),
    path("places/villages/", views.villages, name="villages"),
    path("wishes/<int:pk>/", views.wish, name="wish"),
    path("volunteer/", views.menu, name="menu"),
    path("volunteer/order/<int:menu_id>/", views.order_new, name="order-new"),
    path("volunteer/track/", views.order_track, name="order-track"),
    path("volunteer/teams/", views.teams, name="teams"),
    path("p/evidence/<int:pk>/", views.public_evidence, name="evidence"),
    path("p/photo/<int:pk>/", views.report_photo, name="report-photo"),
    # staff and volunteers
    path("wishes/<int:pk>/act/", staff_views.wish_act, name="wish-act"),
    path("staff/wishes/", staff_views.wishes, name="staff-wishes"),
    path("staff/wishes/new/", staff_views.wish_new, name="staff-wish-new"),
    path("staff/wishes/<int:pk>/", staff_views.wish, name="staff-wish"),
    path("staff/orders/", staff_views.orders, name="staff-orders"),
    path("staff/orders/new/", staff_views.order_new, name="staff-order-new"),
    path("staff/orders/<int:pk>/", staff_views.order, name="staff-order"),
    path("staff/volunteer/", staff_views.menu_and_teams, name="staff-menu"),
    path("staff/polls/", staff_views.polls, name="staff-polls"),
    path("staff/polls/<int:pk>/", staff_views.poll, name="staff-poll"),
    path("me/volunteer/", staff_views.me, name="me"),
]
