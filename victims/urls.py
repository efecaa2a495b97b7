from django.urls import path

from . import views

app_name = "victims"

urlpatterns = [
    path("", views.victim_list, name="list"),
    path("shared/", views.victim_shared_list, name="shared"),
    path("police/", views.victim_police_list, name="police"),
    path("new/", views.victim_create, name="create"),
    path("search/", views.passport_search, name="search"),
    path("stats/", views.victim_stats, name="stats"),
    path("export.csv", views.victim_export, name="export"),
    path("access/", views.access_log, name="access_log"),
    path("<int:pk>/", views.victim_detail, name="detail"),
    path("<int:pk>/edit/", views.victim_edit, name="edit"),
    path("<int:pk>/transition/", views.victim_transition, name="transition"),
    path("<int:pk>/screening/", views.screening_create, name="screening"),
    path("<int:pk>/consent/", views.consent_edit, name="consent"),
    path("<int:pk>/audience/", views.audience_edit, name="audience"),
    path("<int:pk>/referral/", views.referral_print, name="referral"),
]
