"""Bounded API paging and query-string ids: what a client types never reaches SQL unbounded.

DRF's LimitOffsetPagination takes any positive `limit` and `offset`; a number past the
database's 64-bit integers (`?limit=250445334645647114240`) made SQLite raise OverflowError and
PostgreSQL "bigint out of range": a 500 instead of a page.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_LIMIT = 1000
# Far past any real list, far below 2**63: a larger offset gives an empty page, like any
# offset past the end.
MAX_OFFSET = 10**12
_MAX_ID = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`limit` at most MAX_LIMIT (more is read as MAX_LIMIT), `offset` at most MAX_OFFSET."""

    max_limit = MAX_LIMIT

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


def id_param(value: object) -> int | None:
    """A database id from a query parameter, or None when it cannot be one.

    ASCII digits only: str.isdigit() also accepts '²', on which int() raises, and a number
    past 64 bits overflows the database's integer.
    """
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= _MAX_ID else None
