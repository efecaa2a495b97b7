from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("submit/", views.report_submit, name="report_submit"),
    path("paste/", views.report_paste, name="report_paste"),
    path("upload/", views.report_upload, name="report_upload"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("uploads/<int:job_id>/", views.upload_job, name="upload_job"),
    path("matches/", views.match_list, name="match_list"),
    path("matches/<int:match_id>/", views.match_detail, name="match_detail"),
    path("compounds/", views.compound_list, name="compound_list"),
    path("compounds/new/", views.compound_edit, name="compound_create"),
    path("compounds/<int:compound_id>/", views.compound_detail, name="compound_detail"),
    path("compounds/<int:compound_id>/edit/", views.compound_edit, name="compound_edit"),
    path(
        "compounds/<int:compound_id>/evidence/new/",
        views.evidence_edit,
        name="evidence_create",
    ),
    path("evidence/<int:evidence_id>/edit/", views.evidence_edit, name="evidence_edit"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
    path("warn-list/", views.warn_list, name="warn_list"),
    path("warn-list/<int:entry_id>/delete/", views.warn_delete, name="warn_delete"),
    path("catalogue/import/", views.catalogue_import, name="catalogue_import"),
]
