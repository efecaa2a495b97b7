from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.lead_list, name="lead_list"),
    path("new/", views.lead_new, name="lead_new"),
    path("search/", views.lead_search, name="lead_search"),
    path("review/", views.review_queue, name="review_queue"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
    path("<int:pk>/transition/", views.lead_transition, name="lead_transition"),
    path("<int:pk>/comment/", views.lead_comment, name="lead_comment"),
    path("<int:pk>/assign/", views.lead_assign, name="lead_assign"),
    path("<int:pk>/freeze/", views.lead_freeze, name="lead_freeze"),
    path("<int:pk>/request-access/", views.lead_request_access, name="lead_request_access"),
    path("<int:pk>/open-case/", views.lead_open_case, name="lead_open_case"),
    path("<int:pk>/link-case/", views.lead_link_case, name="lead_link_case"),
    path("freezes/", views.freeze_queue, name="freeze_queue"),
    path("freezes/<int:pk>/", views.freeze_detail, name="freeze_detail"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/tasks/", views.case_task_add, name="case_task_add"),
    path("cases/<int:pk>/tasks/<int:task_id>/done/", views.case_task_done, name="case_task_done"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/reports/", views.case_report_add, name="case_report_add"),
    path(
        "cases/<int:pk>/reports/<int:report_id>/remove/",
        views.case_report_remove,
        name="case_report_remove",
    ),
    path("cases/<int:pk>/victims/", views.case_victim_add, name="case_victim_add"),
    path(
        "cases/<int:pk>/victims/<int:victim_id>/remove/",
        views.case_victim_remove,
        name="case_victim_remove",
    ),
    path("access-requests/", views.access_requests, name="access_requests"),
    path(
        "access-requests/<int:pk>/decide/",
        views.access_request_decide,
        name="access_request_decide",
    ),
]
