"""API shapes of the IP exchange. Validation of rows is the service's job (per-row errors)."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sharing.api import AudienceSerializerMixin

from ..choices import MatchState, ReportContext
from ..models import Compound, IPReport, Match, NetworkEvidence
from ..services import MAX_BATCH_ROWS


class MatchBriefSerializer(serializers.ModelSerializer):
    compound = serializers.CharField(source="compound.name", read_only=True)
    compound_id = serializers.IntegerField(read_only=True)
    evidence = serializers.CharField(source="evidence_label", read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "compound_id",
            "compound",
            "kind",
            "evidence",
            "valid_from",
            "valid_to",
            "confidence",
            "weak",
            "warn_category",
            "warn_reason",
            "created_at",
            "withdrawn_at",
            "withdrawn_reason",
        ]


class IPReportSerializer(AudienceSerializerMixin, serializers.ModelSerializer):
    match_state = serializers.ChoiceField(choices=MatchState.choices, read_only=True)
    matches = serializers.SerializerMethodField()

    class Meta:
        model = IPReport
        fields = [
            "id",
            "address",
            "family",
            "seen_at",
            "context",
            "port",
            "note",
            "asn",
            "as_org",
            "geo_country",
            "enrichment_source",
            "match_state",
            "created_at",
            "owner",
            "tlp",
            "audience",
            "shared_with",
            "police_access",
            "shared_with_all",
            "shared_with_workspaces",
            "matches",
        ]
        read_only_fields = fields

    @extend_schema_field(MatchBriefSerializer(many=True))
    def get_matches(self, obj: IPReport) -> list[dict]:
        active = getattr(obj, "active_matches", None)
        if active is None:
            active = obj.matches.active().select_related("compound")
        # One child serializer for every row of a list: building a ModelSerializer's fields
        # per row was a tenth of the IP-report list's time (benchmarks/load.py).
        child = self._match_serializer
        return [child.to_representation(match) for match in active]

    @cached_property
    def _match_serializer(self) -> MatchBriefSerializer:
        return MatchBriefSerializer()


class IPReportRowSerializer(serializers.Serializer):
    """One row as documented. Not used to validate: the service checks each row and answers
    every bad one with its own error, keeping the good ones."""

    address = serializers.IPAddressField(help_text=_("A public IPv4 or IPv6 address."))
    seen_at = serializers.DateTimeField(help_text=_("ISO 8601 with an offset."))
    # Moved out of the class by the serializer metaclass: never shadows Serializer.context.
    context = serializers.ChoiceField(choices=ReportContext.choices)  # type: ignore[assignment]
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


@extend_schema_field(IPReportRowSerializer(many=True))
class _ReportRowsField(serializers.ListField):
    """Rows as dicts of whatever was sent: a bad row is the service's per-row error."""


class IPReportBatchSerializer(AudienceSerializerMixin):
    reports = _ReportRowsField(
        child=serializers.DictField(),
        allow_empty=False,
        help_text=_("Rows of address, seen_at (ISO 8601 with offset), context, port, note."),
    )

    def validate_reports(self, value: list) -> list:
        if len(value) > MAX_BATCH_ROWS:
            raise serializers.ValidationError(
                _("At most %(max)d reports per request; this one has %(n)d. Split it.")
                % {"max": MAX_BATCH_ROWS, "n": len(value)}
            )
        return value


class RowProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    value = serializers.CharField()
    reason = serializers.CharField()
    field = serializers.CharField()


class BatchResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.IntegerField())
    created_count = serializers.IntegerField()
    duplicates = RowProblemSerializer(many=True)
    # The API field is named "errors"; the serializer metaclass moves it out of the class, so it
    # never shadows Serializer.errors at runtime (mypy sees the class attribute).
    errors = RowProblemSerializer(many=True)  # type: ignore[assignment]


class MatchSerializer(MatchBriefSerializer):
    report = serializers.IntegerField(source="report_id", read_only=True)
    address = serializers.CharField(source="report.address", read_only=True)
    owner = serializers.CharField(source="report.workspace.slug", read_only=True)
    tlp = serializers.CharField(source="report.tlp", read_only=True)

    class Meta(MatchBriefSerializer.Meta):
        fields = ["report", "address", "owner", "tlp", *MatchBriefSerializer.Meta.fields]


class MatchDetailSerializer(MatchSerializer):
    """Why it matched: the evidence as it was then, its source now, and the report's sighting."""

    seen_at = serializers.DateTimeField(source="report.seen_at", read_only=True)
    report_context = serializers.CharField(source="report.context", read_only=True)
    evidence_id = serializers.IntegerField(read_only=True, allow_null=True)
    evidence_source = serializers.SerializerMethodField()
    warn_entry_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(MatchSerializer.Meta):
        fields = [
            *MatchSerializer.Meta.fields,
            "seen_at",
            "report_context",
            "matched_network",
            "matched_asn",
            "matched_as_org",
            "evidence_id",
            "evidence_source",
            "warn_entry_id",
        ]

    def get_evidence_source(self, obj: Match) -> str | None:
        """The evidence's source; null once the evidence was removed from the catalogue."""
        return obj.evidence.source if obj.evidence is not None else None


class CompoundSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Compound
        fields = [
            "id",
            "name",
            "aliases",
            "country",
            "area",
            "latitude",
            "longitude",
            "status",
            "sources",
            "notes",
            "evidence_count",
        ]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    compound = serializers.CharField(source="compound.name", read_only=True)

    class Meta:
        model = NetworkEvidence
        fields = [
            "id",
            "compound_id",
            "compound",
            "kind",
            "network",
            "asn",
            "as_org",
            "valid_from",
            "valid_to",
            "source",
            "confidence",
            "notes",
        ]
        read_only_fields = fields
