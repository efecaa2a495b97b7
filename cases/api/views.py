"""The leads API: records through selectors, writes through services, one 404 for hidden."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from embassies.models import User
from sharing.api import audience_kwargs

from .. import selectors, services
from ..pagination import CappedLimitOffsetPagination
from .filters import LeadFilter
from .serializers import (
    AccessRequestCreateSerializer,
    AccessRequestDecideSerializer,
    AccessRequestSerializer,
    AssignSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseLeadAddSerializer,
    CaseReportAddSerializer,
    CaseSerializer,
    CaseTaskSerializer,
    CaseUpdateSerializer,
    CaseVictimAddSerializer,
    CommentCreateSerializer,
    FreezeCreateSerializer,
    FreezeRequestSerializer,
    FreezeUpdateSerializer,
    LeadCommentSerializer,
    LeadCreateSerializer,
    LeadDetailSerializer,
    LeadSerializer,
    OutgoingAccessRequestSerializer,
    RequestedSerializer,
    TransitionSerializer,
)


def _fake(view) -> bool:
    return getattr(view, "swagger_fake_view", False)


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Leads in your audience. Filter with `kind`, `status`, `mine`, `q` (a value, normalised
    with the kind's parser), `compound`, `since`, `until`."""

    pagination_class = CappedLimitOffsetPagination

    serializer_class = LeadSerializer
    filterset_class = LeadFilter

    def get_queryset(self):
        if _fake(self):
            return selectors.leads_none()
        # The named workspaces are shown to the owner: prefetched, one query for the page.
        return selectors.lead_list(user=cast(User, self.request.user)).prefetch_related(
            "shared_with"
        )

    def get_object(self):
        return selectors.lead_get(user=cast(User, self.request.user), lead_id=self.kwargs["pk"])

    def get_serializer_class(self):
        if self.action == "retrieve":
            return LeadDetailSerializer
        return super().get_serializer_class()

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadDetailSerializer})
    def create(self, request: Request) -> Response:
        """Submit a lead. A bad value gets a 400 naming its field; nothing is saved."""
        data = self._valid(LeadCreateSerializer, request)
        lead = services.lead_create(
            actor=cast(User, request.user),
            kind=data["kind"],
            fields=data["fields"],
            reliability=data["reliability"],
            grade=data["grade"],
            description=data.get("description", ""),
            compound_refs=data.get("compound_refs", ""),
            **audience_kwargs(data),
        )
        return Response(self._detail(lead), status=status.HTTP_201_CREATED)

    def _valid(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, lead) -> dict:
        fresh = selectors.lead_get(user=cast(User, self.request.user), lead_id=lead.pk)
        return LeadDetailSerializer(fresh, context={"request": self.request}).data

    @extend_schema(request=TransitionSerializer, responses=LeadDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the lead through the review workflow (only the allowed moves)."""
        lead = self.get_object()
        data = self._valid(TransitionSerializer, request)
        services.lead_transition(
            actor=cast(User, request.user),
            lead=lead,
            to_status=data["to_status"],
            reason=data.get("reason", ""),
        )
        return Response(self._detail(lead))

    @extend_schema(request=CommentCreateSerializer, responses={201: LeadCommentSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        data = self._valid(CommentCreateSerializer, request)
        comment = services.lead_comment_add(
            actor=cast(User, request.user), lead=lead, text=data["text"]
        )
        return Response(LeadCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssignSerializer, responses=LeadDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        data = self._valid(AssignSerializer, request)
        services.lead_assign(actor=cast(User, request.user), lead=lead, assignee=data["assignee"])
        return Response(self._detail(lead))

    @extend_schema(responses=LeadSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="review-queue")
    def review_queue(self, request: Request) -> Response:
        """Police analysts: leads waiting on review, oldest first."""
        qs = selectors.review_queue(user=cast(User, request.user)).prefetch_related("shared_with")
        page = self.paginate_queryset(self.filter_queryset(qs))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The value to look for"),
        ],
        responses=LeadSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def search(self, request: Request) -> Response:
        """Search by normalised value (with `kind` to read it in that kind's shape)."""
        qs = self.filter_queryset(self.get_queryset())
        if not request.query_params.get("q"):
            qs = qs.none()
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FreezeRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Freeze requests on leads you may see; open ones first, overdue first."""

    pagination_class = CappedLimitOffsetPagination

    serializer_class = FreezeRequestSerializer

    def get_queryset(self):
        user = cast(User, self.request.user)
        if _fake(self):
            return selectors.freeze_list(user=user).none()
        return selectors.freeze_list(user=user)

    def get_object(self):
        return selectors.freeze_get(user=cast(User, self.request.user), freeze_id=self.kwargs["pk"])

    @extend_schema(request=FreezeCreateSerializer, responses={201: FreezeRequestSerializer})
    def create(self, request: Request) -> Response:
        """Raise an urgent freeze request on a bank-account lead."""
        user = cast(User, request.user)
        serializer = FreezeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = selectors.lead_get(user=user, lead_id=serializer.validated_data["lead"])
        freeze = services.freeze_request_raise(
            actor=user,
            lead=lead,
            bank_reference=serializer.validated_data.get("bank_reference", ""),
        )
        fresh = selectors.freeze_get(user=user, freeze_id=freeze.pk)
        return Response(FreezeRequestSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FreezeUpdateSerializer, responses=FreezeRequestSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Record the bank's reference, acknowledgement, freeze, refusal, release or outcome."""
        user = cast(User, request.user)
        freeze = self.get_object()
        serializer = FreezeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.freeze_request_update(actor=user, freeze=freeze, **serializer.validated_data)
        fresh = selectors.freeze_get(user=user, freeze_id=freeze.pk)
        return Response(FreezeRequestSerializer(fresh).data)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases in your audience; linked leads are listed only where you may see them."""

    pagination_class = CappedLimitOffsetPagination

    serializer_class = CaseSerializer

    def get_queryset(self):
        user = cast(User, self.request.user)
        if _fake(self):
            return selectors.case_list(user=user).none()
        return selectors.case_list(user=user)

    def get_object(self):
        return selectors.case_get(user=cast(User, self.request.user), case_id=self.kwargs["pk"])

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        return super().get_serializer_class()

    def _detail(self, case) -> dict:
        fresh = selectors.case_get(user=cast(User, self.request.user), case_id=case.pk)
        return CaseDetailSerializer(fresh, context={"request": self.request}).data

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseDetailSerializer})
    def create(self, request: Request) -> Response:
        """Police analysts: open a case from leads you can see."""
        user = cast(User, request.user)
        serializer = CaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        leads = [selectors.lead_get(user=user, lead_id=pk) for pk in data["leads"]]
        case = services.case_open(
            actor=user, title=data["title"], summary=data.get("summary", ""), leads=leads
        )
        return Response(self._detail(case), status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = CaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_update(actor=cast(User, request.user), case=case, **serializer.validated_data)
        return Response(self._detail(case))

    @extend_schema(request=CaseLeadAddSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="leads")
    def add_lead(self, request: Request, pk: str) -> Response:
        user = cast(User, request.user)
        case = self.get_object()
        serializer = CaseLeadAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = selectors.lead_get(user=user, lead_id=serializer.validated_data["lead"])
        services.case_lead_add(actor=user, case=case, lead=lead)
        return Response(self._detail(case))

    @extend_schema(request=CaseReportAddSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="reports")
    def add_report(self, request: Request, pk: str) -> Response:
        """Link an IP report you can see (404 for a missing or hidden report)."""
        case = self.get_object()
        serializer = CaseReportAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_report_add(
            actor=cast(User, request.user),
            case=case,
            report_id=serializer.validated_data["report"],
        )
        return Response(self._detail(case))

    @extend_schema(request=None, responses=CaseDetailSerializer)
    @action(detail=True, methods=["delete"], url_path=r"reports/(?P<report_id>[0-9]+)")
    def remove_report(self, request: Request, pk: str, report_id: str) -> Response:
        case = self.get_object()
        services.case_report_remove(actor=cast(User, request.user), case=case, report_id=report_id)
        return Response(self._detail(case))

    @extend_schema(request=CaseVictimAddSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="victims")
    def add_victim(self, request: Request, pk: str) -> Response:
        """Link a victim record you can see (404 for a missing or hidden record)."""
        case = self.get_object()
        serializer = CaseVictimAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_victim_add(
            actor=cast(User, request.user),
            case=case,
            victim_id=serializer.validated_data["victim"],
        )
        return Response(self._detail(case))

    @extend_schema(request=None, responses=CaseDetailSerializer)
    @action(detail=True, methods=["delete"], url_path=r"victims/(?P<victim_id>[0-9]+)")
    def remove_victim(self, request: Request, pk: str, victim_id: str) -> Response:
        case = self.get_object()
        services.case_victim_remove(actor=cast(User, request.user), case=case, victim_id=victim_id)
        return Response(self._detail(case))

    @extend_schema(request=CaseTaskSerializer, responses={201: CaseTaskSerializer})
    @action(detail=True, methods=["post"])
    def tasks(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = CaseTaskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.case_task_add(
            actor=cast(User, request.user), case=case, **serializer.validated_data
        )
        return Response(CaseTaskSerializer(task).data, status=status.HTTP_201_CREATED)


class AccessRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Requests for access to your workspace's leads (list), and your own requests (outgoing)."""

    pagination_class = CappedLimitOffsetPagination

    serializer_class = AccessRequestSerializer

    def get_queryset(self):
        user = cast(User, self.request.user)
        if _fake(self):
            return selectors.access_requests_incoming(user=user).none()
        return selectors.access_requests_incoming(user=user)

    @extend_schema(request=AccessRequestCreateSerializer, responses={201: RequestedSerializer})
    def create(self, request: Request) -> Response:
        """Ask the owners of the hidden leads that correlate with your lead for access."""
        user = cast(User, request.user)
        serializer = AccessRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = selectors.lead_get(user=user, lead_id=serializer.validated_data["via_lead"])
        made = services.access_request_create(
            actor=user, via_lead=lead, note=serializer.validated_data.get("note", "")
        )
        return Response({"requested": made}, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccessRequestDecideSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """The owner workspace approves (shares the lead) or declines."""
        user = cast(User, request.user)
        access_request = selectors.access_request_get_incoming(user=user, request_id=pk)
        serializer = AccessRequestDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.access_request_decide(
            actor=user,
            access_request=access_request,
            approve=serializer.validated_data["decision"] == "approve",
        )
        return Response(AccessRequestSerializer(decided).data)

    @extend_schema(responses=OutgoingAccessRequestSerializer(many=True))
    @action(detail=False, methods=["get"])
    def outgoing(self, request: Request) -> Response:
        page = self.paginate_queryset(
            selectors.access_requests_outgoing(user=cast(User, request.user))
        )
        return self.get_paginated_response(OutgoingAccessRequestSerializer(page, many=True).data)
