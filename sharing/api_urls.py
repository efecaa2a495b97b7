from django.urls import path

from .api import NotificationListApi

urlpatterns = [path("notifications/", NotificationListApi.as_view(), name="api_notifications")]
