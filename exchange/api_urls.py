"""Every app's API under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("embassies.api.urls")),
    path("", include("sharing.api_urls")),
    path("", include("indicators.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("victims.api.urls")),
    path("", include("exchange.stix_api")),
    path("", include("exchange.search_api")),
]
