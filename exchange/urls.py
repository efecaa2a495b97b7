from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("embassies.urls")),
    path("", include("sharing.urls")),
    path("ip/", include("indicators.urls")),
    path("leads/", include("cases.urls")),
    path("victims/", include("victims.urls")),
    path("api/v1/", include("exchange.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
]
