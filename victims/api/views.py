"""The victims API: records through selectors, writes through services, one 404 for hidden.

Reading a record's detail is audited as a view; a passport search audits each hit returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from embassies.models import User
from sharing.api import audience_kwargs
from sharing.pagination import BoundedLimitOffsetPagination, id_param

from .. import selectors, services
from ..audit import access_log_request, client_ip
from ..choices import AccessAction, VictimStatus
from ..forms import ListFilterForm
from ..models import VictimRecord
from .serializers import (
    VictimAccessEventSerializer,
    VictimAudienceSerializer,
    VictimConsentSerializer,
    VictimCreateSerializer,
    VictimPassportSearchSerializer,
    VictimRecordDetailSerializer,
    VictimRecordSerializer,
    VictimScreeningCreateSerializer,
    VictimScreeningSerializer,
    VictimStatsSerializer,
    VictimTransitionSerializer,
)

LIST_PARAMS = [
    OpenApiParameter(
        "status", str, enum=VictimStatus.values, description="Only records with this status."
    ),
    OpenApiParameter("compound", str, description="Only records located at this compound."),
    OpenApiParameter("mine", bool, description="Only records my workspace owns."),
    OpenApiParameter("police", bool, description="Police analysts: records shared with police."),
]


SEARCH_MAX_HITS = 50


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "yes"}


class VictimRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Victim records in your audience. Lists carry no identity; the detail does (audited)."""

    pagination_class = BoundedLimitOffsetPagination
    serializer_class = VictimRecordSerializer
    filter_backends: list = []
    # POST, yet only reads: a read-scoped token may search (TokenScopePermission).
    token_read_actions = ("search",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return selectors.victims_none()
        params = self.request.query_params
        form = ListFilterForm(params)
        if not form.is_valid():  # an unknown status; a NUL, which PostgreSQL cannot compare
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        if "passport" in params:
            # Refused, not ignored: a client would read the whole list as its search result.
            raise ValidationError(
                {
                    "passport": [
                        _(
                            "Search with POST /api/v1/victims/search/, the number in the body: "
                            "a number in a URL is written to access logs in plain text."
                        )
                    ]
                }
            )
        filters = {"status": form.cleaned_data["status"], "compound": form.cleaned_data["compound"]}
        user = cast(User, self.request.user)
        if _flag(self.request, "police"):
            qs = selectors.victim_police_list(user=user, **filters)
        else:
            qs = selectors.victim_list(user=user, owned=_flag(self.request, "mine"), **filters)
        return qs.prefetch_related("shared_with")

    def get_object(self) -> VictimRecord:
        return selectors.victim_get(user=cast(User, self.request.user), pk=self.kwargs["pk"])

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=VictimPassportSearchSerializer, responses=VictimRecordSerializer(many=True)
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def search(self, request: Request) -> Response:
        """Exact passport search, the number in the body; each hit returned is audited.

        Answers the hits (at most 50; one passport number rarely names more than one person).

        POST, not GET: a number in a query string ends up in plain text in every access log.
        """
        serializer = VictimPassportSearchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        qs = selectors.victim_search_passport(
            user=cast(User, request.user), number=serializer.validated_data["passport"]
        )
        hits = list(qs.prefetch_related("shared_with")[:SEARCH_MAX_HITS])
        if hits:
            access_log_request(request, hits, AccessAction.SEARCH_HIT, detail="api passport")
        return Response(self.get_serializer(hits, many=True).data)

    @extend_schema(responses=VictimRecordDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        access_log_request(request, record, AccessAction.VIEW, detail="api")
        record = (
            selectors.victim_list(user=cast(User, request.user))
            .prefetch_related("shared_with", "screenings", "events__actor")
            .get(pk=record.pk)
        )
        return Response(VictimRecordDetailSerializer(record, context={"request": request}).data)

    def _answer(self, record: VictimRecord, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            VictimRecordSerializer(record, context={"request": self.request}).data, status=code
        )

    @extend_schema(request=VictimCreateSerializer, responses={201: VictimRecordSerializer})
    def create(self, request: Request) -> Response:
        """Open a record (owner + police, TLP:AMBER+STRICT unless you say otherwise)."""
        serializer = VictimCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        record = services.victim_create(
            actor=cast(User, request.user),
            ip=client_ip(request),
            **serializer.to_service_kwargs(),
            **audience_kwargs(serializer.validated_data),
        )
        return self._answer(record, status.HTTP_201_CREATED)

    @extend_schema(request=VictimTransitionSerializer, responses=VictimRecordSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the record along its path; refused moves answer 400 with the reason."""
        record = self.get_object()
        serializer = VictimTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.victim_transition(
            actor=cast(User, request.user),
            record=record,
            ip=client_ip(request),
            **serializer.validated_data,
        )
        return self._answer(record)

    @extend_schema(
        request=VictimScreeningCreateSerializer, responses={201: VictimScreeningSerializer}
    )
    @action(detail=True, methods=["post"])
    def screening(self, request: Request, pk: str) -> Response:
        """Record a screening interview; the record moves to screened and to the outcome."""
        record = self.get_object()
        serializer = VictimScreeningCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        screening = services.screening_record(
            actor=cast(User, request.user),
            record=record,
            ip=client_ip(request),
            **serializer.validated_data,
        )
        return Response(VictimScreeningSerializer(screening).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VictimConsentSerializer, responses=VictimRecordSerializer)
    @action(detail=True, methods=["post"])
    def consent(self, request: Request, pk: str) -> Response:
        record = self.get_object()
        serializer = VictimConsentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.victim_consent_record(
            actor=cast(User, request.user),
            record=record,
            ip=client_ip(request),
            **serializer.validated_data,
        )
        return self._answer(record)

    @extend_schema(request=VictimAudienceSerializer, responses=VictimRecordSerializer)
    @action(detail=True, methods=["post"])
    def audience(self, request: Request, pk: str) -> Response:
        """Set the audience; beyond owner and police needs consent or a lawful basis (400)."""
        record = self.get_object()
        serializer = VictimAudienceSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        record = services.victim_audience_set(
            actor=cast(User, request.user),
            record=record,
            ip=client_ip(request),
            **audience_kwargs(serializer.validated_data),
        )
        return self._answer(record)

    @extend_schema(responses=VictimStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        """Counts over the records in your audience: by status, nationality, compound, month."""
        stats = selectors.victim_stats(user=cast(User, request.user))

        def rows(items: Sequence[Mapping[str, Any]], key: str) -> list[dict]:
            return [
                {
                    "key": (r[key].strftime("%Y-%m") if hasattr(r[key], "strftime") else r[key]),
                    "count": r["count"],
                }
                for r in items
            ]

        data = {
            "total": stats.total,
            "by_status": rows(stats.by_status, "status"),
            "by_nationality": rows(stats.by_nationality, "nationality"),
            "by_compound": rows(stats.by_compound, "located_compound"),
            "by_month": rows(stats.by_month, "month"),
        }
        return Response(VictimStatsSerializer(data).data)


class AccessEventListApi(ListAPIView):
    """Delegation admins: who accessed your workspace's victim records (empty for others)."""

    pagination_class = BoundedLimitOffsetPagination
    serializer_class = VictimAccessEventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.access_events_none()
        record = self.request.query_params.get("record", "")
        return selectors.access_event_list(
            user=cast(User, self.request.user), record_id=id_param(record)
        )

    @extend_schema(
        parameters=[OpenApiParameter("record", int, description="Only this record's entries.")]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
