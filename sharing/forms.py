"""Audience and TLP fields that every record form includes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from embassies.models import Workspace

from .choices import TLP, AudiencePreset


class AudienceFormMixin(forms.Form):
    tlp = forms.ChoiceField(label=_("TLP marking"), choices=TLP.choices, initial=TLP.AMBER)
    audience = forms.ChoiceField(
        label=_("Who may see it"),
        choices=AudiencePreset.choices,
        initial=AudiencePreset.OWNER_POLICE,
    )
    shared_with = forms.ModelMultipleChoiceField(
        label=_("Named workspaces"),
        queryset=Workspace.objects.none(),
        required=False,
        help_text=_("Only used when the audience names workspaces."),
    )

    def __init__(self, *args, owner: Workspace | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        qs = Workspace.objects.filter(is_active=True).select_related("delegation")
        if owner is not None:
            qs = qs.exclude(pk=owner.pk)
        field = self.fields["shared_with"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = qs

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("audience") == AudiencePreset.NAMED and not data.get("shared_with"):
            self.add_error("shared_with", _("Name at least one workspace."))
        if data.get("audience") != AudiencePreset.NAMED:
            data["shared_with"] = []
        return data
