from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from embassies.models import User, Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="delegation.name")
    kind = serializers.CharField(source="delegation.kind")
    country = CountryField(source="delegation.country", allow_blank=True)  # UNODC, HSI: none

    class Meta:
        model = Workspace
        fields = ["id", "slug", "name", "kind", "country"]


class MeSerializer(serializers.ModelSerializer):
    workspace = WorkspaceSerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "workspace",
            "role",
            "is_police_analyst",
            "is_platform_admin",
        ]


class MemberSerializer(serializers.ModelSerializer):
    role = serializers.CharField(allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "last_login"]
