"""Forms for leads, reviews, freeze requests, cases and search. Validation lives in services."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from sharing.forms import AudienceFormMixin

from .choices import (
    PERSON_ROLE_LABELS,
    PLATFORM_LABELS,
    CaseStatus,
    FreezeState,
    InformationGrade,
    LeadKind,
    LeadStatus,
    SourceReliability,
)
from .normalise import PERSON_ROLES, PLATFORMS

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from embassies.models import User

    from .models import Case


def _text(
    label: StrOrPromise, *, required: bool = True, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=300, help_text=help_text)


# The per-kind fields; their names match cases/normalise.py (and its error messages).
KIND_FORM_FIELDS: dict[str, dict[str, forms.Field]] = {
    LeadKind.PHONE: {
        "number": _text(_("Phone number"), help_text=_("With + and country code, or Thai.")),
        "region": _text(
            _("Region"),
            required=False,
            help_text=_("Two-letter region for numbers without +; TH when empty."),
        ),
    },
    LeadKind.BANK_ACCOUNT: {
        "bank": _text(_("Bank"), help_text=_("Thai bank name or code (e.g. KBank, 004), or BIC.")),
        "account_number": _text(_("Account number")),
        "holder_name": _text(_("Account holder"), required=False),
    },
    LeadKind.CRYPTO_WALLET: {
        "chain": _text(_("Chain"), help_text=_("BTC, ETH, TRON (USDT-TRC20) or another chain.")),
        "address": _text(_("Wallet address")),
    },
    LeadKind.DOMAIN: {
        "url": _text(_("Website or domain"), help_text=_("A URL or a domain name.")),
    },
    LeadKind.HANDLE: {
        "platform": _text(
            _("Platform"), help_text=", ".join(PLATFORM_LABELS[p] for p in PLATFORMS)
        ),
        "handle": _text(_("Handle"), help_text=_("@name or the profile link.")),
    },
    LeadKind.PERSON: {
        "names": _text(_("Names"), help_text=_("Separate several names with ';'.")),
        "aliases": _text(_("Aliases"), required=False, help_text=_("Separated by ';'.")),
        "nationality": _text(_("Nationality"), required=False, help_text=_("e.g. CN, MM, TH.")),
        "date_of_birth": _text(_("Date of birth"), required=False, help_text="YYYY-MM-DD"),
        "role": forms.ChoiceField(
            label=_("Role"), choices=[(r, PERSON_ROLE_LABELS[r]) for r in PERSON_ROLES]
        ),
    },
    LeadKind.IP: {
        "address": _text(_("IP address")),
    },
}


class LeadForm(AudienceFormMixin):
    """A new lead: the kind's own fields, then grading, description and audience."""

    reliability = forms.ChoiceField(
        label=_("Source reliability"), choices=SourceReliability.choices
    )
    grade = forms.ChoiceField(label=_("Information grade"), choices=InformationGrade.choices)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    compound_refs = forms.CharField(
        label=_("Compounds"), required=False, max_length=300, help_text=_("Names or ids.")
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        # Fresh copies: the module-level fields are shared by every form instance.
        kind_fields = {name: copy.deepcopy(f) for name, f in KIND_FORM_FIELDS[kind].items()}
        self.fields = {**kind_fields, **self.fields}

    def kind_values(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in KIND_FORM_FIELDS[self.kind]}


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=LeadStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False
    )

    def __init__(self, *args, analysts: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = analysts


class FreezeRaiseForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank's reference"), required=False, max_length=100)


class FreezeUpdateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", "—"), *FreezeState.choices], required=False
    )
    bank_reference = forms.CharField(label=_("Bank's reference"), required=False, max_length=100)
    hold_expires_at = forms.DateTimeField(
        label=_("Hold expires"), required=False, help_text="YYYY-MM-DD HH:MM"
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CaseOpenForm(forms.Form):
    title = forms.CharField(label=_("Case title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseLinkForm(forms.Form):
    case: forms.ModelChoiceField[Case] = forms.ModelChoiceField(label=_("Case"), queryset=None)

    def __init__(self, *args, cases: QuerySet[Case], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cases


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    assignee: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False
    )
    due_date = forms.DateField(label=_("Due"), required=False, help_text="YYYY-MM-DD")

    def __init__(self, *args, analysts: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = analysts


class CaseReportLinkForm(forms.Form):
    report = forms.IntegerField(
        label=_("IP report number"), min_value=1, help_text=_("As shown on the IP report's page.")
    )


class CaseVictimLinkForm(forms.Form):
    victim = forms.IntegerField(
        label=_("Victim record number"), min_value=1, help_text=_("VR-000123 is number 123.")
    )


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Value"), required=False, max_length=300)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *LeadKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *LeadStatus.choices], required=False
    )
    compound = forms.CharField(label=_("Compound"), required=False, max_length=100)
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)
