from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health, metrics, views

handler400 = "exchange.views.bad_request"
handler403 = "exchange.views.permission_denied"
handler404 = "exchange.views.page_not_found"
handler500 = "exchange.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    # Probes (exchange.health, exchange.metrics); exchange.middleware.ProbeMiddleware serves
    # them on internal host names too, without the HTTPS redirect.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("embassies.urls")),
    path("", include("sharing.urls")),
    path("ip/", include("indicators.urls")),
    path("leads/", include("cases.urls")),
    path("victims/", include("victims.urls")),
    path("api/v1/", include("exchange.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar's local files; its start-up script is a separate file (the
    # split view), so the page runs under the Content-Security-Policy with no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api_docs",
    ),
]
