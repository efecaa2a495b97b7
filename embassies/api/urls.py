from django.urls import path

from .views import MeApi, MemberListApi, WorkspaceListApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="api_me"),
    path("workspaces/", WorkspaceListApi.as_view(), name="api_workspaces"),
    path("workspaces/<slug:slug>/members/", MemberListApi.as_view(), name="api_members"),
]
