from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", views.otp_verify, name="otp_verify"),
    path("accounts/enrol/", views.otp_enrol, name="otp_enrol"),
    path("settings/api-token/", views.api_token, name="api_token"),
    path(
        "settings/api-token/<int:token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("delegations/", views.delegation_list, name="delegation_list"),
    path("delegations/new/", views.delegation_onboard, name="delegation_onboard"),
    path("workspaces/<slug:slug>/members/", views.members, name="members"),
    path(
        "workspaces/<slug:slug>/members/<int:user_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "workspaces/<slug:slug>/members/<int:user_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "workspaces/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "workspaces/<slug:slug>/api-tokens/<int:token_id>/revoke/",
        views.member_token_revoke,
        name="member_token_revoke",
    ),
]
