from django.urls import path

from .views import (
    CompoundDetailApi,
    CompoundListApi,
    EvidenceListApi,
    IPReportDetailApi,
    IPReportListCreateApi,
    MatchDetailApi,
    MatchListApi,
)

urlpatterns = [
    path("ip-reports/", IPReportListCreateApi.as_view(), name="api_ip_reports"),
    path("ip-reports/<int:pk>/", IPReportDetailApi.as_view(), name="api_ip_report"),
    path("ip-matches/", MatchListApi.as_view(), name="api_ip_matches"),
    path("ip-matches/<int:pk>/", MatchDetailApi.as_view(), name="api_ip_match"),
    path("compounds/", CompoundListApi.as_view(), name="api_compounds"),
    path("compounds/<int:pk>/", CompoundDetailApi.as_view(), name="api_compound"),
    path("compound-evidence/", EvidenceListApi.as_view(), name="api_compound_evidence"),
]
