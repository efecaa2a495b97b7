from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .choices import ApiTokenScope, DelegationKind, WorkspaceRole
from .models import Workspace


class OnboardDelegationForm(forms.Form):
    name = forms.CharField(label=_("Delegation name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DelegationKind.choices)
    country = CountryField(blank=True).formfield(
        label=_("Country"),
        required=False,
        help_text=_("Required except for international organisations."),
    )
    admin_email = forms.EmailField(label=_("First delegation admin's e-mail"))
    admin_name = forms.CharField(label=_("Their name"), max_length=200, required=False)


def role_choices(workspace: Workspace) -> list[tuple[str, str]]:
    """Roles a member of `workspace` may hold: analysts only in the host police."""
    roles = [WorkspaceRole.OFFICER, WorkspaceRole.ADMIN]
    if workspace.is_host_police:
        roles.append(WorkspaceRole.ANALYST)
    return [(r.value, str(r.label)) for r in roles]


class InviteMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = role_choices(workspace)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)
    totp_code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError({"password2": _("The two passwords differ.")})
        return data


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “nightly IP upload”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiTokenScope.choices,
        initial=ApiTokenScope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only is enough for exports and lookups."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires in (days)"), min_value=1, max_value=365, initial=90
    )
