"""Forms of the IP exchange. They parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from sharing.forms import AudienceFormMixin

from .choices import CompoundStatus, NetworkKind, ReportContext, WarnCategory
from .models import Compound


class ReportForm(AudienceFormMixin):
    """One IP address. The time is read in the user's time zone when no offset is given."""

    address = forms.CharField(label=_("IP address"), max_length=100)
    seen_at = forms.DateTimeField(
        label=_("Seen at"),
        help_text=_("Date and time, e.g. 2026-05-01 14:03 (Bangkok time unless an offset)."),
    )
    context = forms.ChoiceField(label=_("Context"), choices=ReportContext.choices)
    port = forms.IntegerField(label=_("Port"), required=False, min_value=1, max_value=65535)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["address", "seen_at", "context", "port", "note", "tlp", "audience"]


class PasteForm(AudienceFormMixin):
    lines = forms.CharField(
        label=_("Addresses"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "One a line: an address, or address,seen_at,context[,port[,note]] "
            "(seen_at in ISO 8601 with an offset, e.g. 2026-05-01T14:03+07:00)."
        ),
    )
    default_seen_at = forms.DateTimeField(
        label=_("Seen at (for lines without a time)"), required=False
    )
    default_context = forms.ChoiceField(
        label=_("Context (for lines without one)"),
        choices=[("", "—"), *ReportContext.choices],
        required=False,
    )
    field_order = ["lines", "default_seen_at", "default_context", "tlp", "audience"]


class UploadForm(AudienceFormMixin):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV with a header: address (required), seen_at, context, port, note. "
            "At most 10,000 rows."
        ),
    )
    default_seen_at = forms.DateTimeField(
        label=_("Seen at (for rows without a time)"), required=False
    )
    default_context = forms.ChoiceField(
        label=_("Context (for rows without one)"),
        choices=[("", "—"), *ReportContext.choices],
        required=False,
    )
    field_order = ["file", "default_seen_at", "default_context", "tlp", "audience"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return refuse_oversize(upload)


class CompoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    aliases = forms.CharField(
        label=_("Aliases"), required=False, help_text=_("Separated by commas.")
    )
    country = CountryField().formfield(label=_("Country"))
    area = forms.CharField(label=_("Area"), required=False, max_length=200)
    latitude = forms.DecimalField(
        label=_("Latitude (approx.)"), required=False, max_digits=8, decimal_places=5
    )
    longitude = forms.DecimalField(
        label=_("Longitude (approx.)"), required=False, max_digits=8, decimal_places=5
    )
    status = forms.ChoiceField(label=_("Status"), choices=CompoundStatus.choices)
    sources = forms.CharField(label=_("Sources"), required=False, widget=forms.Textarea)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)

    @classmethod
    def initial_from(cls, compound: Compound) -> dict:
        data = {name: getattr(compound, name) for name in cls.base_fields}
        data["aliases"] = ", ".join(compound.aliases)
        data["country"] = compound.country.code
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["aliases"] = [a.strip() for a in data["aliases"].split(",") if a.strip()]
        return data


class _NetworkFieldsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NetworkKind.choices)
    network = forms.CharField(
        label=_("CIDR prefix"), required=False, help_text=_("e.g. 203.0.113.0/24 or 2001:db8::/48")
    )
    asn = forms.CharField(label=_("AS number"), required=False, help_text=_("e.g. AS14593"))
    as_org = forms.CharField(
        label=_("AS organisation"),
        required=False,
        help_text=_("As the enrichment data names it, e.g. SPACEX-STARLINK."),
    )


class EvidenceForm(_NetworkFieldsForm):
    valid_from = forms.DateTimeField(label=_("Valid from (inclusive)"), required=False)
    valid_to = forms.DateTimeField(label=_("Valid until (exclusive)"), required=False)
    source = forms.CharField(label=_("Source"), required=False, max_length=300)
    confidence = forms.IntegerField(label=_("Confidence (0-100)"), min_value=0, max_value=100)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)


class WarnEntryForm(_NetworkFieldsForm):
    category = forms.ChoiceField(label=_("Category"), choices=WarnCategory.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CatalogueImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV, JSON or RFC 8805 geofeed."))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("auto", _("Detect")),
            ("csv", "CSV"),
            ("json", "JSON"),
            ("geofeed", _("Geofeed (RFC 8805)")),
        ],
    )
    compound = forms.ModelChoiceField(
        label=_("Compound (for a geofeed)"), queryset=Compound.objects.none(), required=False
    )

    def __init__(self, *args, compounds: QuerySet[Compound] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if compounds is not None:
            field = self.fields["compound"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = compounds

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return refuse_oversize(upload)


def refuse_oversize(upload: UploadedFile) -> UploadedFile:
    """The size check of every upload form (the handler stops a larger file as it arrives)."""
    if (upload.size or 0) > settings.UPLOAD_MAX_BYTES:
        raise forms.ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": settings.UPLOAD_MAX_BYTES // 2**20}
        )
    return upload
