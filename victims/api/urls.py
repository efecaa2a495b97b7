from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AccessEventListApi, VictimRecordViewSet

router = SimpleRouter()
router.register("victims", VictimRecordViewSet, basename="victim")

urlpatterns = [
    path("victims/access-events/", AccessEventListApi.as_view(), name="victim-access-events"),
    *router.urls,
]
