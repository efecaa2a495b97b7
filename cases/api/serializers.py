"""API shapes for leads, freeze requests, cases and access requests. No business logic here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sharing.api import AudienceSerializerMixin, TextSlugRelatedField

from .. import selectors
from ..choices import (
    CaseStatus,
    FreezeState,
    InformationGrade,
    LeadKind,
    LeadStatus,
    SourceReliability,
)
from ..models import (
    AccessRequest,
    Case,
    CaseLead,
    CaseReport,
    CaseTask,
    CaseVictim,
    FreezeRequest,
    Lead,
    LeadComment,
    LeadEvent,
)


# Read-only choice fields are plain strings in the schema: the same field names (status,
# state, kind) carry different choice sets across components, and the project's enum names
# are settled in one place (SPECTACULAR_SETTINGS), not per app. Write fields keep their enums.
def _str(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=help_text)


class LeadEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.email", read_only=True)
    action = _str()
    from_status = _str()
    to_status = _str()

    class Meta:
        model = LeadEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "text"]


class LeadCommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.email", read_only=True)

    class Meta:
        model = LeadComment
        fields = ["id", "created_at", "author", "text"]
        read_only_fields = ["id", "created_at", "author"]


class LeadSerializer(AudienceSerializerMixin, serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.email", read_only=True)
    kind = _str(", ".join(LeadKind.values))
    status = _str(", ".join(LeadStatus.values))
    assignee = serializers.CharField(
        source="assignee.email", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "kind",
            "value",
            "key",
            "details",
            "raw",
            "reliability",
            "grade",
            "description",
            "compound_refs",
            "status",
            "status_changed_at",
            "rejection_reason",
            "assignee",
            "created_at",
            "created_by",
            "owner",
            "tlp",
            "police_access",
            "shared_with_all",
            "shared_with_workspaces",
        ]
        read_only_fields = fields


class LeadDetailSerializer(LeadSerializer):
    reviewer = serializers.CharField(
        source="reviewer.email", read_only=True, default=None, allow_null=True
    )
    history = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()
    correlation = serializers.SerializerMethodField()

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "reviewer", "history", "comments", "correlation"]
        read_only_fields = fields

    @extend_schema_field(LeadEventSerializer(many=True))
    def get_history(self, obj: Lead) -> list:
        # many=True makes a ListSerializer (a list); the stubs type it as the child (drf-stubs#827).
        return LeadEventSerializer(selectors.lead_history(lead=obj), many=True).data  # type: ignore[return-value]

    @extend_schema_field(LeadCommentSerializer(many=True))
    def get_comments(self, obj: Lead) -> list:
        # many=True makes a ListSerializer (a list); the stubs type it as the child (drf-stubs#827).
        return LeadCommentSerializer(selectors.lead_comments(lead=obj), many=True).data  # type: ignore[return-value]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "visible": {"type": "array", "items": {"type": "integer"}},
                "hidden_workspaces": {"type": "integer"},
            },
        }
    )
    def get_correlation(self, obj: Lead) -> dict:
        """Visible matching leads by id; hidden delegations only counted, never named."""
        found = selectors.lead_correlation(user=self.context["request"].user, lead=obj)
        return {
            "visible": [r.pk for r in found.visible],
            "hidden_workspaces": found.hidden_workspaces,
        }


class LeadCreateSerializer(AudienceSerializerMixin):
    # A string, not an enum, in the schema: "kind" is another choice set elsewhere in the API.
    kind = serializers.CharField(help_text=", ".join(LeadKind.values))
    # The API field is named "fields"; the serializer metaclass moves it out of the class, so it
    # never shadows Serializer.fields at runtime (mypy sees the class attribute).
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(allow_blank=True, max_length=300),
        help_text="The kind's fields: phone {number, region}; bank_account {bank, "
        "account_number, holder_name}; crypto_wallet {chain, address}; domain {url}; "
        "handle {platform, handle}; person {names, aliases, nationality, date_of_birth, role}; "
        "ip {address}.",
    )
    reliability = serializers.ChoiceField(choices=SourceReliability.choices)
    grade = serializers.ChoiceField(choices=InformationGrade.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    compound_refs = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def validate_kind(self, value: str) -> str:
        if value not in LeadKind.values:
            raise serializers.ValidationError(f"Unknown kind; one of {', '.join(LeadKind.values)}.")
        return value


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=LeadStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CommentCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AssignSerializer(serializers.Serializer):
    assignee = TextSlugRelatedField(
        slug_field="email", queryset=selectors.analysts(), allow_null=True
    )


class FreezeRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.email", read_only=True)
    state = _str(", ".join(FreezeState.values))
    overdue = serializers.BooleanField(read_only=True)
    elapsed_seconds = serializers.SerializerMethodField()
    report_to_freeze_seconds = serializers.SerializerMethodField()

    class Meta:
        model = FreezeRequest
        fields = [
            "id",
            "lead",
            "bank",
            "account_number",
            "bank_reference",
            "state",
            "requested_by",
            "reported_at",
            "requested_at",
            "acknowledged_at",
            "frozen_at",
            "hold_expires_at",
            "closed_at",
            "outcome",
            "overdue",
            "elapsed_seconds",
            "report_to_freeze_seconds",
        ]
        read_only_fields = fields

    def get_elapsed_seconds(self, obj: FreezeRequest) -> int:
        """Seconds since the account was reported (until the freeze, once frozen)."""
        return int(selectors.freeze_clock(obj).elapsed.total_seconds())

    def get_report_to_freeze_seconds(self, obj: FreezeRequest) -> int | None:
        if obj.report_to_freeze is None:
            return None
        return int(obj.report_to_freeze.total_seconds())


class FreezeCreateSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    bank_reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class FreezeUpdateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=FreezeState.choices, required=False)
    bank_reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    hold_expires_at = serializers.DateTimeField(required=False)


class CaseTaskSerializer(serializers.ModelSerializer):
    assignee = TextSlugRelatedField(
        slug_field="email", queryset=selectors.analysts(), allow_null=True, required=False
    )

    class Meta:
        model = CaseTask
        fields = ["id", "title", "assignee", "due_date", "done", "done_at"]
        read_only_fields = ["id", "done", "done_at"]


class CaseLeadSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="lead.kind", read_only=True)
    value = serializers.CharField(source="lead.value", read_only=True)

    class Meta:
        model = CaseLead
        fields = ["lead", "kind", "value", "added_at"]


class CaseReportSerializer(serializers.ModelSerializer):
    address = serializers.CharField(source="report.address", read_only=True)
    seen_at = serializers.DateTimeField(source="report.seen_at", read_only=True)
    owner = serializers.CharField(source="report.workspace.slug", read_only=True)

    class Meta:
        model = CaseReport
        fields = ["report", "address", "seen_at", "owner", "added_at"]


class CaseVictimSerializer(serializers.ModelSerializer):
    """Non-identifying fields only; the identity is read through the victims API (audited)."""

    reference = serializers.CharField(source="victim_reference", read_only=True)
    status = serializers.CharField(source="victim_status", read_only=True)
    compound = serializers.CharField(source="victim_compound", read_only=True)

    class Meta:
        model = CaseVictim
        fields = ["victim", "reference", "status", "compound", "added_at"]


class CaseSerializer(serializers.ModelSerializer):
    lead_analyst = serializers.CharField(source="lead_analyst.email", read_only=True)
    owner = serializers.CharField(source="workspace.slug", read_only=True)
    status = _str(", ".join(CaseStatus.values))

    class Meta:
        model = Case
        fields = ["id", "title", "summary", "status", "lead_analyst", "owner", "tlp", "created_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    leads = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()
    victims = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "leads", "reports", "victims", "tasks"]
        read_only_fields = fields

    @extend_schema_field(CaseLeadSerializer(many=True))
    def get_leads(self, obj: Case) -> list:
        """Only the linked leads the viewer may see in their own right."""
        links = selectors.case_leads(user=self.context["request"].user, case=obj)
        # many=True makes a ListSerializer (a list); the stubs type it as the child (drf-stubs#827).
        return CaseLeadSerializer(links, many=True).data  # type: ignore[return-value]

    @extend_schema_field(CaseReportSerializer(many=True))
    def get_reports(self, obj: Case) -> list:
        """Only the linked IP reports the viewer may see in their own right."""
        links = selectors.case_reports(user=self.context["request"].user, case=obj)
        return CaseReportSerializer(links, many=True).data  # type: ignore[return-value]

    @extend_schema_field(CaseVictimSerializer(many=True))
    def get_victims(self, obj: Case) -> list:
        """Only the linked victim records the viewer may see; reference, status, compound."""
        links = selectors.case_victims(user=self.context["request"].user, case=obj)
        return CaseVictimSerializer(links, many=True).data  # type: ignore[return-value]

    @extend_schema_field(CaseTaskSerializer(many=True))
    def get_tasks(self, obj: Case) -> list:
        # many=True makes a ListSerializer (a list); the stubs type it as the child (drf-stubs#827).
        return CaseTaskSerializer(selectors.case_tasks(case=obj), many=True).data  # type: ignore[return-value]


class CaseCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    leads = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=100)


class CaseUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)


class CaseLeadAddSerializer(serializers.Serializer):
    lead = serializers.IntegerField()


class CaseReportAddSerializer(serializers.Serializer):
    report = serializers.IntegerField(min_value=1)


class CaseVictimAddSerializer(serializers.Serializer):
    victim = serializers.IntegerField(min_value=1)


class AccessRequestSerializer(serializers.ModelSerializer):
    requester_workspace = serializers.CharField(source="requester_workspace.slug", read_only=True)
    state = _str()

    class Meta:
        model = AccessRequest
        fields = ["id", "lead", "requester_workspace", "note", "created_at", "state", "decided_at"]
        read_only_fields = fields


class OutgoingAccessRequestSerializer(serializers.ModelSerializer):
    """The requester's view: the target lead's id only once it is visible to them."""

    lead = serializers.SerializerMethodField()
    state = _str()

    class Meta:
        model = AccessRequest
        fields = ["id", "via_lead", "lead", "note", "created_at", "state", "decided_at"]
        read_only_fields = fields

    def get_lead(self, obj: AccessRequest) -> int | None:
        return obj.lead_id if getattr(obj, "lead_visible", False) else None


class AccessRequestCreateSerializer(serializers.Serializer):
    via_lead = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AccessRequestDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "decline"])


class RequestedSerializer(serializers.Serializer):
    requested = serializers.IntegerField()
