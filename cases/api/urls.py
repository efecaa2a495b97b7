from rest_framework.routers import SimpleRouter

from .views import AccessRequestViewSet, CaseViewSet, FreezeRequestViewSet, LeadViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="api-lead")
router.register("freeze-requests", FreezeRequestViewSet, basename="api-freeze-request")
router.register("cases", CaseViewSet, basename="api-case")
router.register("access-requests", AccessRequestViewSet, basename="api-access-request")

urlpatterns = router.urls
