"""Serializers of the victims API. Lists carry no identity; only the (audited) detail does."""

from __future__ import annotations

from typing import Any

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sharing.api import AudienceSerializerMixin
from sharing.choices import TLP

from ..choices import (
    AgeBand,
    Indicator,
    LawfulBasis,
    ReferralKind,
    ScreeningOutcome,
    Sex,
    VictimStatus,
)
from ..models import AccessEvent, Screening, VictimEvent, VictimRecord

# Plain strings rather than enums: drf-spectacular would name them like other apps' enums.
STATUS_HELP = "One of: " + ", ".join(VictimStatus.values)

AUDIENCE_READ = ["owner", "tlp", "police_access", "shared_with_all", "shared_with_workspaces"]
PLAIN_FIELDS = [
    "status",
    "nationality",
    "sex",
    "age_band",
    "reported_missing_on",
    "located_compound",
    "located_on",
    "rescued_on",
    "referral_kind",
    "referral_to",
    "referral_date",
    "travel_document_issued_on",
    "repatriation_date",
    "repatriation_route",
    "handover_to",
    "home_on",
    "created_at",
    "status_changed_at",
]


class _AudienceRead(serializers.ModelSerializer):
    owner = serializers.CharField(source="workspace.slug", read_only=True)
    nationality = serializers.CharField(source="nationality.code", read_only=True, default="")
    reference = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    # Declared: a model field in read_only_fields loses allow_blank, and the schema's enum
    # would then refuse the "" these answer until a referral is made.
    referral_kind = serializers.ChoiceField(
        choices=ReferralKind.choices, allow_blank=True, read_only=True
    )
    identity_purged = serializers.SerializerMethodField()
    shared_with_workspaces = serializers.SerializerMethodField()

    def get_identity_purged(self, obj: VictimRecord) -> bool:
        return obj.identity_purged_at is not None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_shared_with_workspaces(self, obj: VictimRecord) -> list[str]:
        # The named workspaces are the owner's business only.
        request = self.context.get("request")
        if request is None or request.user.workspace_id != obj.workspace_id:
            return []
        return [w.slug for w in obj.shared_with.all()]


class VictimRecordSerializer(_AudienceRead):
    """A record without identity: what lists, counts and write answers return."""

    class Meta:
        model = VictimRecord
        fields = ["id", "reference", *AUDIENCE_READ, *PLAIN_FIELDS, "identity_purged"]
        read_only_fields = fields


class VictimScreeningSerializer(serializers.ModelSerializer):
    class Meta:
        model = Screening
        fields = [
            "id",
            "interview_date",
            "place",
            "interpreter",
            "screening_officer",
            "indicators",
            "outcome",
            "outcome_reason",
            "created_at",
        ]
        read_only_fields = fields


class VictimEventSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", read_only=True, default=None)
    kind = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    to_status = serializers.CharField(read_only=True, help_text=STATUS_HELP)

    class Meta:
        model = VictimEvent
        fields = ["at", "kind", "actor", "from_status", "to_status", "note"]
        read_only_fields = fields


class VictimRecordDetailSerializer(_AudienceRead):
    """One record with its identity, screenings and timeline. Reading it is audited."""

    screenings = VictimScreeningSerializer(many=True, read_only=True)
    events = VictimEventSerializer(many=True, read_only=True)
    lawful_basis = serializers.ChoiceField(
        choices=LawfulBasis.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = VictimRecord
        fields = [
            "id",
            "reference",
            *AUDIENCE_READ,
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "passport_number",
            "phone",
            "family_contact",
            *PLAIN_FIELDS,
            "consent_given",
            "lawful_basis",
            "lawful_basis_note",
            "identity_purged",
            "screenings",
            "events",
        ]
        read_only_fields = fields


class VictimCreateSerializer(AudienceSerializerMixin):
    given_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    aliases = serializers.CharField(max_length=300, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    passport_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=60, required=False, allow_blank=True)
    family_contact = serializers.CharField(max_length=300, required=False, allow_blank=True)
    nationality = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 code."
    )
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    reported_missing_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    # Victim records default to AMBER+STRICT, not the platform's AMBER.
    tlp = serializers.ChoiceField(choices=TLP.choices, default=TLP.AMBER_STRICT)

    def validate_nationality(self, value: str) -> str:
        value = value.upper()
        if value and value not in dict(countries):
            raise serializers.ValidationError(f"{value!r} is not an ISO 3166-1 country code.")
        return value

    def to_service_kwargs(self) -> dict[str, Any]:
        skip = {"audience", "shared_with", "tlp"}
        return {k: v for k, v in self.validated_data.items() if k not in skip}


class VictimTransitionSerializer(serializers.Serializer):
    """The target status and the details its step needs (see choices.TRANSITIONS)."""

    to_status = serializers.CharField(max_length=24, help_text=STATUS_HELP)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True)
    located_compound = serializers.CharField(max_length=200, required=False, allow_blank=True)
    referral_kind = serializers.ChoiceField(
        choices=ReferralKind.choices, required=False, allow_blank=True
    )
    referral_to = serializers.CharField(max_length=200, required=False, allow_blank=True)
    referral_date = serializers.DateField(required=False, allow_null=True)
    travel_document_issued_on = serializers.DateField(required=False, allow_null=True)
    repatriation_date = serializers.DateField(required=False, allow_null=True)
    repatriation_route = serializers.CharField(max_length=200, required=False, allow_blank=True)
    handover_to = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_to_status(self, value: str) -> str:
        if value not in VictimStatus.values:
            raise serializers.ValidationError(f"{value!r} is not a status. {STATUS_HELP}.")
        return value


class VictimScreeningCreateSerializer(serializers.Serializer):
    interview_date = serializers.DateField()
    place = serializers.CharField(max_length=200)
    interpreter = serializers.CharField(max_length=200, required=False, allow_blank=True)
    screening_officer = serializers.CharField(max_length=200)
    indicators = serializers.ListField(
        child=serializers.ChoiceField(choices=Indicator.choices), required=False, default=list
    )
    outcome = serializers.ChoiceField(choices=ScreeningOutcome.choices)
    outcome_reason = serializers.CharField()


class VictimConsentSerializer(serializers.Serializer):
    consent_given = serializers.BooleanField()
    lawful_basis = serializers.ChoiceField(
        choices=LawfulBasis.choices, required=False, allow_blank=True, default=""
    )
    lawful_basis_note = serializers.CharField(required=False, allow_blank=True, default="")


class VictimAudienceSerializer(AudienceSerializerMixin):
    tlp = serializers.ChoiceField(choices=TLP.choices, default=TLP.AMBER_STRICT)


class VictimPassportSearchSerializer(serializers.Serializer):
    passport = serializers.CharField(
        max_length=40, help_text="Exact passport number (spaces and dashes are ignored)."
    )


class VictimCountSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()


class VictimStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = VictimCountSerializer(many=True)
    by_nationality = VictimCountSerializer(many=True)
    by_compound = VictimCountSerializer(many=True)
    by_month = VictimCountSerializer(many=True)


class VictimAccessEventSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", read_only=True, default=None)
    actor_workspace = serializers.CharField(
        source="actor_workspace.slug", read_only=True, default=None
    )
    record = serializers.IntegerField(source="record_id", read_only=True)

    class Meta:
        model = AccessEvent
        fields = [
            "seq",
            "at",
            "actor",
            "actor_workspace",
            "ip",
            "action",
            "record",
            "detail",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
