"""Pages for victim records. Reads through selectors; every read of identity, every change,
export, print and search hit is written to the access log (victims.audit)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from embassies.types import AuthedHttpRequest
from sharing.api import audience_kwargs
from sharing.choices import AudiencePreset
from sharing.pagination import id_param

from . import selectors, services
from .audit import access_log_request, client_ip
from .choices import AccessAction, VictimStatus
from .forms import (
    ConsentForm,
    ListFilterForm,
    PassportSearchForm,
    ScreeningForm,
    TransitionForm,
    VictimAudienceForm,
    VictimForm,
)
from .models import IDENTITY_FIELDS, VictimRecord
from .permissions import (
    can_open_records,
    can_read_access_log,
    can_see_identity_in_lists,
    can_use_police_view,
    can_write,
)

PAGE_SIZE = 50


def _apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _page(request: HttpRequest, qs) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _list(request: AuthedHttpRequest, *, title: str, qs, police: bool = False) -> HttpResponse:
    filters = ListFilterForm(request.GET or None)
    return render(
        request,
        "victims/list.html",
        {"title": title, "page": _page(request, qs), "filters": filters, "police": police},
    )


class _ListFilters(TypedDict):
    status: str
    compound: str


def _filters(request: AuthedHttpRequest) -> _ListFilters:
    form = ListFilterForm(request.GET or None)
    if form.is_valid():
        return {"status": form.cleaned_data["status"], "compound": form.cleaned_data["compound"]}
    return {"status": "", "compound": ""}


@login_required
def victim_list(request: AuthedHttpRequest) -> HttpResponse:
    """My nationals: the records my workspace owns. No identity in lists (it is not audited)."""
    qs = selectors.victim_list(user=request.user, owned=True, **_filters(request))
    return _list(request, title=_("My nationals"), qs=qs)


@login_required
def victim_shared_list(request: AuthedHttpRequest) -> HttpResponse:
    """Records other workspaces shared with mine (or with police, for analysts)."""
    qs = selectors.victim_list(user=request.user, **_filters(request))
    if request.user.workspace_id:
        qs = qs.exclude(workspace_id=request.user.workspace_id)
    return _list(request, title=_("Victim records shared with us"), qs=qs)


@login_required
def victim_police_list(request: AuthedHttpRequest) -> HttpResponse:
    """Police analysts: every record shared with police, by status and compound."""
    if not can_use_police_view(request.user):
        raise PermissionDenied
    qs = selectors.victim_police_list(user=request.user, **_filters(request))
    return _list(request, title=_("Victim records shared with police"), qs=qs, police=True)


@login_required
def victim_create(request: AuthedHttpRequest) -> HttpResponse:
    if not can_open_records(request.user):
        raise PermissionDenied
    form = VictimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.victim_create(
                actor=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Record %s opened.") % record.reference)
            return redirect("victims:detail", pk=record.pk)
    return render(request, "victims/form.html", {"form": form, "title": _("New victim record")})


@login_required
def victim_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The record and its timeline. Shows the identity: audited as a view."""
    record = selectors.victim_get(user=request.user, pk=pk)
    access_log_request(request, record, AccessAction.VIEW, detail="page")
    return render(
        request,
        "victims/detail.html",
        {
            "record": record,
            "events": selectors.victim_timeline(record=record),
            "screenings": selectors.victim_screenings(record=record),
            "can_write": can_write(request.user, record),
            "can_read_log": can_read_access_log(request.user)
            and request.user.workspace_id == record.workspace_id,
        },
    )


def _writable(request: AuthedHttpRequest, pk: int) -> VictimRecord:
    """Fetch through the audience (404 outside it), then require an owner officer (403)."""
    record = selectors.victim_get(user=request.user, pk=pk)
    if not can_write(request.user, record):
        raise PermissionDenied
    return record


def _write_page(
    request: AuthedHttpRequest,
    record: VictimRecord,
    form,
    title: str,
    action: Callable[[dict], Any],
    done: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("victims:detail", pk=record.pk)
    return render(request, "victims/form.html", {"form": form, "title": title, "record": record})


@login_required
def victim_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    record = _writable(request, pk)
    initial = {name: getattr(record, name) for name in IDENTITY_FIELDS}
    initial.update(
        nationality=record.nationality.code or "",
        sex=record.sex,
        age_band=record.age_band,
        reported_missing_on=record.reported_missing_on,
    )
    form = VictimForm(request.POST or None, initial=initial, editing=True)
    if request.method == "GET":
        # The form shows the identity: that is a view.
        access_log_request(request, record, AccessAction.VIEW, detail="edit form")

    def save(data: dict) -> None:
        changed = {k: v for k, v in data.items() if k in form.changed_data}
        if changed:
            services.victim_update(
                actor=request.user, record=record, ip=client_ip(request), **changed
            )

    return _write_page(request, record, form, _("Correct details"), save, _("Details saved."))


@login_required
def victim_transition(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    record = _writable(request, pk)
    form = TransitionForm(request.POST or None, status=record.status)
    return _write_page(
        request,
        record,
        form,
        _("Move %s on") % record.reference,
        lambda data: services.victim_transition(
            actor=request.user, record=record, ip=client_ip(request), **data
        ),
        _("Status changed."),
    )


@login_required
def screening_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    record = _writable(request, pk)
    form = ScreeningForm(
        request.POST or None,
        initial={"interview_date": timezone.localdate(), "screening_officer": str(request.user)},
    )
    return _write_page(
        request,
        record,
        form,
        _("Screening of %s") % record.reference,
        lambda data: services.screening_record(
            actor=request.user, record=record, ip=client_ip(request), **data
        ),
        _("Screening recorded."),
    )


@login_required
def consent_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    record = _writable(request, pk)
    form = ConsentForm(
        request.POST or None,
        initial={
            "consent_given": record.consent_given,
            "lawful_basis": record.lawful_basis,
            "lawful_basis_note": record.lawful_basis_note,
        },
    )
    return _write_page(
        request,
        record,
        form,
        _("Consent to sharing: %s") % record.reference,
        lambda data: services.victim_consent_record(
            actor=request.user, record=record, ip=client_ip(request), **data
        ),
        _("Consent recorded."),
    )


@login_required
def audience_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    record = _writable(request, pk)
    if record.shared_with_all:
        preset = AudiencePreset.ALL
    elif record.shared_with.exists():
        preset = AudiencePreset.NAMED
    elif record.police_access:
        preset = AudiencePreset.OWNER_POLICE
    else:
        preset = AudiencePreset.OWNER_ONLY
    form = VictimAudienceForm(
        request.POST or None,
        owner=record.workspace,
        initial={"tlp": record.tlp, "audience": preset, "shared_with": record.shared_with.all()},
    )
    return _write_page(
        request,
        record,
        form,
        _("Who may see %s") % record.reference,
        lambda data: services.victim_audience_set(
            actor=request.user, record=record, ip=client_ip(request), **audience_kwargs(data)
        ),
        _("Audience saved."),
    )


@login_required
def referral_print(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A print-friendly NRM referral form, stamped with the record's TLP; audited as a print."""
    record = selectors.victim_get(user=request.user, pk=pk)
    access_log_request(request, record, AccessAction.PRINT, detail="referral form")
    screening = selectors.victim_screenings(record=record).first()
    return render(
        request,
        "victims/referral.html",
        {"record": record, "screening": screening, "printed_at": timezone.now()},
    )


EXPORT_COLUMNS = [
    "reference",
    "owner",
    "tlp",
    "status",
    "nationality",
    "sex",
    "age_band",
    "reported_missing_on",
    "located_compound",
    "referral_date",
    "repatriation_date",
    "given_name",
    "family_name",
    "passport_number",
]


@login_required
def victim_export(request: AuthedHttpRequest) -> HttpResponse:
    """CSV of the records in the viewer's audience (owner's identity only to the owner).

    Every exported record gets an 'export' entry, written before the file is sent.
    """
    records = list(selectors.victim_list(user=request.user, **_filters(request))[:5000])
    access_log_request(request, records, AccessAction.EXPORT, detail="csv")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="victim-records.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for r in records:
        identity = can_see_identity_in_lists(request.user, r)
        row = [
            r.reference,
            r.workspace.slug,
            r.get_tlp_display(),
            r.status,
            r.nationality.code or "",
            r.sex,
            r.age_band,
            r.reported_missing_on or "",
            r.located_compound,
            r.referral_date or "",
            r.repatriation_date or "",
            *((r.given_name, r.family_name, r.passport_number) if identity else ("", "", "")),
        ]
        # Every cell, not only the identity: free text (the compound) is typed by officers too.
        writer.writerow([csv_safe(str(value)) for value in row])
    return response


# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, strips them and reads what follows): OWASP "CSV injection".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading quote disarms it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@login_required
def passport_search(request: AuthedHttpRequest) -> HttpResponse:
    """Exact passport search through the keyed hash; every hit is audited as a search hit.

    The form posts the number: in a query string it would be written in plain text to every
    access log (gunicorn, a proxy) and to the browser history, so a GET only shows the form.
    """
    form = PassportSearchForm(request.POST if request.method == "POST" else None)
    hits: list[VictimRecord] = []
    if form.is_valid():
        hits = list(
            selectors.victim_search_passport(
                user=request.user, number=form.cleaned_data["passport"]
            )[:PAGE_SIZE]
        )
        if hits:
            access_log_request(request, hits, AccessAction.SEARCH_HIT, detail="passport")
    return render(
        request, "victims/search.html", {"form": form, "hits": hits, "searched": form.is_valid()}
    )


@login_required
def victim_stats(request: AuthedHttpRequest) -> HttpResponse:
    """Counts only, over the records in the viewer's audience."""
    stats = selectors.victim_stats(user=request.user)
    labels = dict(VictimStatus.choices)
    for row in stats.by_status:
        row["status"] = labels.get(row["status"], row["status"])
    return render(request, "victims/stats.html", {"stats": stats})


@login_required
def access_log(request: AuthedHttpRequest) -> HttpResponse:
    """Delegation admins: who accessed our workspace's records."""
    if not can_read_access_log(request.user):
        raise PermissionDenied
    record_id = request.GET.get("record") or ""
    events = selectors.access_event_list(user=request.user, record_id=id_param(record_id))
    return render(request, "victims/access_log.html", {"page": _page(request, events)})
