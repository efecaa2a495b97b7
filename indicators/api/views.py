"""REST API of the IP exchange. Every queryset is a selector: the audience filter applies."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from embassies.models import User
from sharing.api import audience_kwargs
from sharing.pagination import BoundedLimitOffsetPagination, id_param

from .. import selectors
from ..choices import MatchState
from ..models import Compound, IPReport, Match, NetworkEvidence
from ..services import ip_report_submit_batch
from .serializers import (
    BatchResultSerializer,
    CompoundSerializer,
    EvidenceSerializer,
    IPReportBatchSerializer,
    IPReportSerializer,
    MatchDetailSerializer,
    MatchSerializer,
)


def _fake(view) -> bool:
    return getattr(view, "swagger_fake_view", False)  # schema generation has no user


def _with_matches(qs: QuerySet[IPReport]) -> QuerySet[IPReport]:
    return qs.prefetch_related(selectors.report_prefetch_matches(), Prefetch("shared_with"))


class IPReportListCreateApi(ListAPIView):
    """IP reports in the caller's audience (GET); submit up to 10,000 at once (POST)."""

    pagination_class = BoundedLimitOffsetPagination

    serializer_class = IPReportSerializer

    def get_queryset(self) -> QuerySet[IPReport]:
        if _fake(self):
            return selectors.none_of(IPReport)
        params = self.request.query_params
        state = params.get("state", "")
        return _with_matches(
            selectors.report_list(
                user=cast(User, self.request.user),
                mine=params.get("mine") in ("1", "true", "yes"),
                state=state if state in MatchState.values else "",
                q=params.get("q", "")[:60],
            )
        )

    # On the GET only: the filters mean nothing to a submission.
    @extend_schema(
        parameters=[
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only my workspace's reports."),
            OpenApiParameter("state", OpenApiTypes.STR, enum=MatchState.values),
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="One address (exact) or a CIDR prefix (every address within it).",
            ),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=IPReportBatchSerializer, responses={201: BatchResultSerializer})
    def post(self, request: Request) -> Response:
        """Each bad row gets its own error; good rows are stored; duplicates are not.

        Synchronous by design: at most 10,000 rows are validated and stored within the request
        (about a second); only the upload page hands long files to an upload job.
        """
        batch = IPReportBatchSerializer(data=request.data, context={"request": request})
        batch.is_valid(raise_exception=True)
        rows = [
            {"row": n, **{k: v for k, v in row.items() if k != "row"}}
            for n, row in enumerate(batch.validated_data["reports"], start=1)
        ]
        result = ip_report_submit_batch(
            actor=cast(User, request.user), rows=rows, **audience_kwargs(batch.validated_data)
        )
        body = {
            "created": result.created,
            "created_count": len(result.created),
            "duplicates": [asdict(p) for p in result.duplicates],
            "errors": [asdict(p) for p in result.errors],
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(BatchResultSerializer(body).data, status=code)


class IPReportDetailApi(RetrieveAPIView):
    """One report with its active matches (404 alike for missing and not shared)."""

    serializer_class = IPReportSerializer

    def get_object(self) -> IPReport:
        return selectors.report_get(user=cast(User, self.request.user), report_id=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[IPReport]:
        return selectors.none_of(IPReport)  # get_object() goes through the selector


@extend_schema(
    parameters=[
        OpenApiParameter("compound", OpenApiTypes.INT),
        OpenApiParameter("withdrawn", OpenApiTypes.BOOL, description="Include withdrawn."),
    ]
)
class MatchListApi(ListAPIView):
    """Matches of the reports in the caller's audience, newest first."""

    pagination_class = BoundedLimitOffsetPagination

    serializer_class = MatchSerializer

    def get_queryset(self) -> QuerySet[Match]:
        if _fake(self):
            return selectors.none_of(Match)
        params = self.request.query_params
        compound = params.get("compound", "")
        return selectors.match_list(
            user=cast(User, self.request.user),
            compound_id=id_param(compound),
            include_withdrawn=params.get("withdrawn") in ("1", "true", "yes"),
        )


class MatchDetailApi(RetrieveAPIView):
    """One match and why it was made (404 alike for missing and a report not shared)."""

    serializer_class = MatchDetailSerializer

    def get_object(self) -> Match:
        return selectors.match_get(user=cast(User, self.request.user), match_id=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[Match]:
        return selectors.none_of(Match)  # get_object() goes through the selector


class CompoundListApi(ListAPIView):
    """The compound catalogue (members of a workspace and curators)."""

    pagination_class = BoundedLimitOffsetPagination

    serializer_class = CompoundSerializer

    def get_queryset(self) -> QuerySet[Compound]:
        if _fake(self):
            return selectors.none_of(Compound)
        return selectors.compound_list(user=cast(User, self.request.user))


class CompoundDetailApi(RetrieveAPIView):
    serializer_class = CompoundSerializer

    def get_object(self) -> Compound:
        return selectors.compound_get(
            user=cast(User, self.request.user), compound_id=self.kwargs["pk"]
        )

    def get_queryset(self) -> QuerySet[Compound]:
        return selectors.none_of(Compound)


@extend_schema(parameters=[OpenApiParameter("compound", OpenApiTypes.INT)])
class EvidenceListApi(ListAPIView):
    """Network evidence of the catalogue."""

    pagination_class = BoundedLimitOffsetPagination

    serializer_class = EvidenceSerializer

    def get_queryset(self) -> QuerySet[NetworkEvidence]:
        if _fake(self):
            return selectors.none_of(NetworkEvidence)
        compound = self.request.query_params.get("compound", "")
        return selectors.evidence_list(
            user=cast(User, self.request.user),
            compound_id=id_param(compound),
        )
