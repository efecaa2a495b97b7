"""Query-string filters for the leads API (django-filter)."""

from __future__ import annotations

import django_filters

from .. import selectors
from ..choices import LeadKind, LeadStatus


class LeadFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LeadKind.choices)
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label="My workspace's leads only")
    q = django_filters.CharFilter(method="filter_value", label="Value (normalised)")
    compound = django_filters.CharFilter(field_name="compound_refs", lookup_expr="icontains")
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(workspace_id=self.request.user.workspace_id)

    def filter_value(self, queryset, name, value):
        kind = self.data.get("kind") or None
        return queryset.filter(
            selectors.value_match(value, kind if kind in LeadKind.values else None)
        )
