"""API pieces every record app reuses: audience fields on serializers, the inbox API."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from embassies.models import User, Workspace

from .choices import TLP, AudiencePreset
from .models import Notification
from .notifications import inbox
from .pagination import BoundedLimitOffsetPagination
from .services import audience_flags


class TextSlugRelatedField(serializers.SlugRelatedField):
    """A SlugRelatedField that refuses a NUL before querying: PostgreSQL cannot even compare a
    text with one (DataError, a 500), SQLite simply finds nothing."""

    default_error_messages = {"null_characters": _("Null characters are not allowed.")}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class AudienceSerializerMixin(serializers.Serializer):
    """Write: `tlp`, `audience` (preset) and `shared_with` (workspace slugs).

    Read: the owner workspace, the TLP, and the audience; the list of named workspaces is shown
    to the owner workspace only (others learn only that the record was shared with them).
    """

    owner = serializers.CharField(source="workspace.slug", read_only=True)
    tlp = serializers.ChoiceField(choices=TLP.choices, default=TLP.AMBER)
    audience = serializers.ChoiceField(
        choices=AudiencePreset.choices, default=AudiencePreset.OWNER_POLICE, write_only=True
    )
    shared_with = TextSlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Workspace.objects.filter(is_active=True),
        write_only=True,
    )
    police_access = serializers.BooleanField(read_only=True)
    shared_with_all = serializers.BooleanField(read_only=True)
    shared_with_workspaces = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_shared_with_workspaces(self, obj: Any) -> list[str]:
        request = self.context.get("request")
        if request is None or request.user.workspace_id != obj.workspace_id:
            return []
        return [w.slug for w in obj.shared_with.all()]

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("audience") == AudiencePreset.NAMED and not attrs.get("shared_with"):
            raise serializers.ValidationError({"shared_with": "Name at least one workspace."})
        return attrs


def audience_kwargs(data: dict) -> dict:
    """Service keyword arguments from validated audience fields (form or serializer)."""
    preset = data.get("audience", AudiencePreset.OWNER_POLICE)
    workspaces = list(data.get("shared_with") or []) if preset == AudiencePreset.NAMED else []
    return {"tlp": data.get("tlp", TLP.AMBER), **audience_flags(preset), "workspaces": workspaces}


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "created_at", "read_at"]


class NotificationListApi(ListAPIView):
    """The signed-in user's notices, newest first."""

    pagination_class = BoundedLimitOffsetPagination
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        return inbox(user=cast(User, self.request.user))
