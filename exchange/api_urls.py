from django.urls import include, path

urlpatterns = [
    path("", include("embassies.api.urls")),
]
