"""Forms of the victims pages. They only parse input; rules live in services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from sharing.choices import TLP
from sharing.forms import AudienceFormMixin

from .choices import (
    OUTCOME_STATUSES,
    SCREENING_STATUSES,
    TRANSITIONS,
    AgeBand,
    Indicator,
    LawfulBasis,
    ReferralKind,
    ScreeningOutcome,
    Sex,
    VictimStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VictimForm(forms.Form):
    """Open or correct a record. Identity fields are stored encrypted."""

    given_name = forms.CharField(label=_("Given name(s)"), max_length=200, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=200, required=False)
    aliases = forms.CharField(label=_("Aliases"), max_length=300, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    passport_number = forms.CharField(label=_("Passport number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=60, required=False)
    family_contact = forms.CharField(
        label=_("Family contact"),
        max_length=300,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN
    )
    reported_missing_on = forms.DateField(
        label=_("Reported missing on"), required=False, widget=DATE
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Shown on the timeline. Do not write identity details here."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        nationality = self.fields["nationality"]
        assert isinstance(nationality, forms.ChoiceField)
        nationality.choices = [("", "—"), *countries]
        if editing:
            del self.fields["note"]


def _allowed_by_hand(status: str) -> list[tuple[str, StrOrPromise]]:
    targets = TRANSITIONS.get(status, frozenset()) - SCREENING_STATUSES - OUTCOME_STATUSES
    return [(s.value, s.label) for s in VictimStatus if s in targets]


class TransitionForm(forms.Form):
    """Move the record on; fill in the fields of the step you choose."""

    to_status = forms.ChoiceField(label=_("Move to"))
    on = forms.DateField(
        label=_("On"), required=False, widget=DATE, help_text=_("Defaults to today.")
    )
    located_compound = forms.CharField(
        label=_("Compound (if known)"), max_length=200, required=False
    )
    referral_kind = forms.ChoiceField(
        label=_("Referred to"), choices=[("", "—"), *ReferralKind.choices], required=False
    )
    referral_to = forms.CharField(label=_("Shelter or agency"), max_length=200, required=False)
    referral_date = forms.DateField(label=_("Referral date"), required=False, widget=DATE)
    travel_document_issued_on = forms.DateField(
        label=_("Travel document issued on"), required=False, widget=DATE
    )
    repatriation_date = forms.DateField(label=_("Repatriation date"), required=False, widget=DATE)
    repatriation_route = forms.CharField(label=_("Route"), max_length=200, required=False)
    handover_to = forms.CharField(label=_("Handed over to"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, status: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        to_status = self.fields["to_status"]
        assert isinstance(to_status, forms.ChoiceField)
        to_status.choices = _allowed_by_hand(status)


class ScreeningForm(forms.Form):
    interview_date = forms.DateField(label=_("Interview date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200)
    interpreter = forms.CharField(
        label=_("Interpreter"), max_length=200, required=False, help_text=_("Name and language.")
    )
    screening_officer = forms.CharField(label=_("Screening officer"), max_length=200)
    indicators = forms.MultipleChoiceField(
        label=_("Indicators observed (UNODC/IOM)"),
        choices=Indicator.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ScreeningOutcome.choices)
    outcome_reason = forms.CharField(label=_("Reason"), widget=forms.Textarea({"rows": 3}))


class ConsentForm(forms.Form):
    consent_given = forms.BooleanField(
        label=_("The person consented to their data being shared"), required=False
    )
    lawful_basis = forms.ChoiceField(
        label=_("Or: lawful basis for sharing without consent"),
        choices=[("", "—"), *LawfulBasis.choices],
        required=False,
    )
    lawful_basis_note = forms.CharField(
        label=_("Lawful basis: note"), required=False, widget=forms.Textarea({"rows": 3})
    )


class VictimAudienceForm(AudienceFormMixin):
    """Who may see the record. Beyond owner and police needs consent or a lawful basis."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tlp"].initial = TLP.AMBER_STRICT


class PassportSearchForm(forms.Form):
    passport = forms.CharField(
        label=_("Passport number"),
        max_length=40,
        help_text=_("Exact number; spaces and dashes are ignored."),
    )


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *VictimStatus.choices], required=False
    )
    compound = forms.CharField(label=_("Compound"), max_length=200, required=False)
