"""GET /api/v1/stix/: the STIX 2.1 bundle of everything the caller may see.

Content type: `application/stix+json;version=2.1`, the media type STIX 2.1 (section 1.4)
and TAXII 2.1 register for STIX content, unless the client asks for `application/json`
(`Accept: application/json`), which gets the same body under that type. A browser (the home
page's "Export (STIX 2.1)" link) sends `*/*` and so gets the STIX type.

Authentication as every API: a token (`Authorization: Token <key>`) or a browser session that
has passed the second factor; anyone else gets 401.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, cast

from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from embassies.models import User

from .stix import EXPORT_TYPES, stix_bundle_for

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


class StixJSONRenderer(JSONRenderer):
    """JSON under the STIX media type (negotiated without the version parameter)."""

    media_type = "application/stix+json"
    format = "stix"


def _since(raw: str) -> datetime | None:
    """ISO 8601 date or date-time; a date means its start, a time without offset means UTC."""
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = datetime.combine(day, time.min) if day is not None else None
        if value is not None:
            value = timezone.make_aware(value, UTC) if timezone.is_naive(value) else value
            # 0001-01-01T00:00+05:00 has no UTC equivalent: the query would overflow (a 500).
            value = value.astimezone(UTC)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        raise ValidationError({"since": ["Use an ISO 8601 date or date-time."]})
    return value


def _types(request: Request) -> list[str]:
    names = [
        name.strip()
        for raw in request.query_params.getlist("types")
        for name in raw.split(",")
        if name.strip()
    ]
    unknown = sorted(set(names) - EXPORT_TYPES)
    if unknown:
        raise ValidationError(
            {"types": [f"Unknown: {', '.join(unknown)}. Use: {', '.join(sorted(EXPORT_TYPES))}."]}
        )
    return names


class StixBundleApi(APIView):
    """Everything you may see, as one STIX 2.1 bundle with TLP 2.0 markings.

    IP reports (observable + indicator, and the compounds their active matches point at),
    leads (observable + indicator, or a note), and cases (groupings of the leads you may see).
    Victim records are never exported to STIX. Object ids are stable across exports.
    Served as `application/stix+json;version=2.1`, or as `application/json` when the client
    sends `Accept: application/json`.
    """

    renderer_classes = [StixJSONRenderer, JSONRenderer]

    @extend_schema(
        operation_id="stix_bundle",
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Only records created at or after this time (ISO 8601; a date "
                "means its start; no offset means UTC).",
            ),
            OpenApiParameter(
                "types",
                {"type": "array", "items": {"type": "string", "enum": sorted(EXPORT_TYPES)}},
                explode=False,
                description="Only objects of these STIX types (comma-separated). The "
                "identities and markings they reference always come with them.",
            ),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A STIX 2.1 bundle."),
        },
    )
    def get(self, request: Request) -> Response:
        data: dict[str, Any] = stix_bundle_for(
            cast(User, request.user),
            since=_since(request.query_params.get("since", "")),
            types=_types(request),
        )
        if isinstance(request.accepted_renderer, StixJSONRenderer):
            return Response(data, content_type=STIX_MEDIA_TYPE)
        return Response(data)


urlpatterns = [path("stix/", StixBundleApi.as_view(), name="api_stix")]
