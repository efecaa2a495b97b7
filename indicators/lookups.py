"""`id__any_of=[...]`: membership in a long list of ids as ONE array parameter on PostgreSQL.

`pk__in` with 10,000 ids sends 10,000 parameters, which psycopg converts one by one and the
planner parses as a 10,000-item list; `= ANY(%s)` sends a single array. Other databases get
the plain IN list.
"""

from __future__ import annotations

from array import array

from django.db import models
from django.db.models import Lookup


def id_array(ids) -> array:
    """Pass ids as an `array` so the ORM does not inspect a 10,000-item list item by item."""
    return array("q", ids)


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            # One array literal: psycopg would adapt a 10,000-item list element by element.
            literal = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, literal]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


models.BigAutoField.register_lookup(AnyOf)
models.ForeignKey.register_lookup(AnyOf)
