"""Pagination whose count stops at a cap: a queue of 60,000 leads need not be counted exactly.

Counting every visible row on every page load costs a scan of the whole audience; counting up
to COUNT_CAP (a LIMIT inside the COUNT) bounds that work. Past the cap the page says "10,000+"
and the API's `count` is COUNT_CAP with `count_capped: true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from sharing.pagination import BoundedLimitOffsetPagination

COUNT_CAP = 10_000


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, capped): the exact count up to COUNT_CAP, in one bounded query."""
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


class CappedPaginator(Paginator):
    @cached_property
    def _capped(self) -> tuple[int, bool]:
        return capped_count(cast(QuerySet, self.object_list))  # only used with querysets

    @cached_property
    def count(self) -> int:
        return self._capped[0]

    @property
    def count_capped(self) -> bool:
        return self._capped[1]


class CappedLimitOffsetPagination(BoundedLimitOffsetPagination):
    """Bounded limit/offset paging with a capped count; offsets past the cap still page on."""

    count_capped = False
    page_length = 0

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        if self.count == 0 or (self.offset > self.count and not self.count_capped):
            return []
        page = list(queryset[self.offset : self.offset + self.limit])
        self.page_length = len(page)
        return page

    def get_next_link(self) -> str | None:
        if self.count_capped and self.page_length == self.limit:
            # paginate_queryset() set all three before a page could fill up to the limit.
            assert self.request is not None and self.limit is not None and self.offset is not None
            url = self.request.build_absolute_uri()
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.offset_query_param, self.offset + self.limit)
        return super().get_next_link()

    def get_count(self, queryset: QuerySet | Sequence) -> int:
        self.count_capped = False
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        count, self.count_capped = capped_count(queryset)
        return count

    def get_paginated_response(self, data: list) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.count_capped
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when there are more than {COUNT_CAP} results.",
        }
        return result
