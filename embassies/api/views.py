from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from embassies import selectors
from embassies.models import User
from embassies.permissions import role_of

from .serializers import MemberSerializer, MeSerializer, WorkspaceSerializer


class MeApi(APIView):
    """Who the token or session belongs to, with their workspace and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        user.role = role_of(user)  # type: ignore[attr-defined]
        return Response(MeSerializer(user).data)


class WorkspaceListApi(ListAPIView):
    """Active workspaces: the names a record's audience can name."""

    serializer_class = WorkspaceSerializer

    def get_queryset(self):
        return selectors.workspace_directory()


class MemberListApi(ListAPIView):
    """Members of a workspace, for its delegation admins and platform admins (404 otherwise)."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no workspace
            return User.objects.none()
        workspace = selectors.workspace_get_managed(
            user=cast(User, self.request.user), slug=self.kwargs["slug"]
        )
        return selectors.member_list(workspace=workspace)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        for member in page:
            member.role = role_of(member)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
