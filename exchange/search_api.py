"""The global search API: `GET /api/v1/search/?q=` and `POST /api/v1/search/` {"q": ...}.

Both answer the same groups of hits within the caller's audience (see exchange.search). A
passport number is looked up only by the POST, whose query travels in the body: a URL is
written in plain text to access logs and proxies. Victim-record hits go to the access log.
"""

from __future__ import annotations

from typing import Any, cast

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from embassies.models import User
from victims.audit import access_log_request
from victims.choices import AccessAction

from .search import QueryProblem, SearchResult, check_query, global_search, problem_message


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=None,  # checked below, with the page's messages
        allow_blank=True,
        trim_whitespace=False,
        help_text="What to look for: an IP address or CIDR prefix, a phone number in any "
        "format, an account number (any bank), a wallet, a domain or URL, @handle, VR-000123, "
        "CASE-000123, the start of a person's name. At most 200 characters.",
    )

    def validate_q(self, value: str) -> str:
        try:
            return check_query(value)
        except QueryProblem as problem:
            raise serializers.ValidationError(problem_message(problem)) from None


class SearchHitSerializer(serializers.Serializer):
    # Plain strings, not enums: another "kind" enum in the schema would collide in name.
    kind = serializers.CharField(
        read_only=True, help_text="ip_report, compound, lead, case or victim."
    )
    id = serializers.IntegerField(read_only=True)
    # The metaclass moves declared fields out of the class: this never shadows Field.label.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    url = serializers.CharField(read_only=True, help_text="The record's page.")
    tlp = serializers.CharField(read_only=True, help_text="Empty for catalogue compounds.")
    owner = serializers.CharField(read_only=True, help_text="The owner delegation's workspace.")
    detail = serializers.CharField(read_only=True)


class SearchGroupSerializer(serializers.Serializer):
    kind = serializers.CharField(
        read_only=True, help_text="ip_reports, compounds, leads, cases or victims."
    )
    # The metaclass moves declared fields out of the class: this never shadows Field.label.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    results = SearchHitSerializer(many=True, read_only=True, source="hits")
    more = serializers.BooleanField(
        read_only=True, help_text="More hits you may see than are listed here."
    )
    more_url = serializers.CharField(
        read_only=True, help_text="The page listing them all (empty if none)."
    )


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField(read_only=True)
    searched_as = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        source="reading_labels",
        help_text="How the query was read (each reading is searched).",
    )
    passports_searched = serializers.BooleanField(read_only=True)
    groups = SearchGroupSerializer(many=True, read_only=True)


class ErrorSerializer(serializers.Serializer):
    q = serializers.ListField(child=serializers.CharField(), read_only=True)


class SearchApi(APIView):
    """Search every kind of record you may see. Records outside your audience are never
    found, counted or hinted at: a value only they hold answers like one nobody reported."""

    # The POST only reads: a read-scoped token may use it (embassies.permissions).
    token_read_actions = ("search",)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.action = "search" if request.method == "POST" else "list"
        super().initial(request, *args, **kwargs)

    def _answer(self, request: Request, data: Any, *, passports: bool) -> Response:
        query = SearchQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        result: SearchResult = global_search(
            user=cast(User, request.user), query=query.validated_data["q"], passports=passports
        )
        if result.victim_hits:
            access_log_request(
                request, result.victim_hits, AccessAction.SEARCH_HIT, detail="api global search"
            )
        return Response(SearchResultSerializer(result).data)

    @extend_schema(
        operation_id="search_list",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                required=True,
                description="What to look for (passport numbers: use the POST).",
            )
        ],
        responses={200: SearchResultSerializer, 400: OpenApiResponse(ErrorSerializer)},
    )
    def get(self, request: Request) -> Response:
        """Search by a value in the query string; passport numbers are not looked up here."""
        return self._answer(request, {"q": request.query_params.get("q", "")}, passports=False)

    @extend_schema(
        operation_id="search_create",
        request=SearchQuerySerializer,
        responses={200: SearchResultSerializer, 400: OpenApiResponse(ErrorSerializer)},
    )
    def post(self, request: Request) -> Response:
        """The same search with the query in the body; passport numbers are looked up too.
        Only reads: a read-scoped token may use it."""
        data = request.data if isinstance(request.data, dict) else {}
        return self._answer(request, {"q": data.get("q", "")}, passports=True)


urlpatterns = [path("search/", SearchApi.as_view(), name="api_search")]
