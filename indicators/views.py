"""Pages of the IP exchange. Reads through selectors, writes through services.

Long uploads: a CSV of up to `INDICATORS_UPLOAD_ASYNC_ROWS` rows is validated, enriched
offline and stored in the request, and the result page lists every row's outcome. A longer
one (up to 10,000 rows) becomes an upload job that a worker stores in chunks; its page shows
the progress and refreshes itself (an HTTP `Refresh` header and a meta refresh: no
JavaScript, nothing for the CSP to allow) until the per-row results are there.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from embassies.types import AuthedHttpRequest
from sharing.api import audience_kwargs

from . import selectors, services
from .choices import MatchState
from .enrichment import source_info
from .forms import (
    CatalogueImportForm,
    CompoundForm,
    EvidenceForm,
    PasteForm,
    ReportForm,
    UploadForm,
    WarnEntryForm,
)
from .importers import ParseError, catalogue_parse, decode, rows_from_csv, rows_from_text
from .permissions import can_curate, can_submit, can_view_catalogue

PAGE_SIZE = 50


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _require_submit(request: AuthedHttpRequest) -> None:
    if not can_submit(request.user):
        raise PermissionDenied(_("Only liaison officers of a workspace can submit reports."))


def _require_curator(request: AuthedHttpRequest) -> None:
    if not can_curate(request.user):
        raise PermissionDenied(_("Only police analysts and platform admins edit the catalogue."))


def _attribution() -> dict:
    return {"enrichment": source_info()}


# --- reports -------------------------------------------------------------------------------


@login_required
def report_list(request: AuthedHttpRequest) -> HttpResponse:
    """The user's workspace's reports (or every report in their audience) with match state."""
    scope = request.GET.get("scope") or ("mine" if request.user.workspace_id else "all")
    state = request.GET.get("state", "")
    if state not in MatchState.values:
        state = ""
    q = request.GET.get("q", "").strip()[:60]  # an address or a prefix: 49 characters at most
    qs = selectors.report_list(user=request.user, mine=scope == "mine", state=state, q=q)
    page = _page(request, qs.prefetch_related(selectors.report_prefetch_matches()))
    return render(
        request,
        "indicators/report_list.html",
        {
            "page": page,
            "scope": scope,
            "state": state,
            "q": q,
            "q_param": quote(q, safe=""),
            "states": MatchState.choices,
            "can_submit": can_submit(request.user),
            **_attribution(),
        },
    )


def _submit(request: AuthedHttpRequest, form, rows: list[dict]):
    return services.ip_report_submit_batch(
        actor=request.user, rows=rows, **audience_kwargs(form.cleaned_data)
    )


@login_required
def report_submit(request: AuthedHttpRequest) -> HttpResponse:
    """One IP address in a form."""
    _require_submit(request)
    form = ReportForm(request.POST or None, owner=request.user.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        row = {k: data[k] for k in ("address", "seen_at", "context", "port", "note")}
        try:
            result = _submit(request, form, [{"row": 1, **row}])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if result.created:
                messages.success(request, _("Report saved; matching runs now."))
                return redirect("indicators:report_detail", result.created[0])
            problem = (result.errors or result.duplicates)[0]
            form.add_error(problem.field or "address", problem.reason)
    return render(request, "indicators/report_submit.html", {"form": form, "mode": "one"})


@login_required
def report_paste(request: AuthedHttpRequest) -> HttpResponse:
    """Many addresses pasted as text, one a line."""
    _require_submit(request)
    form = PasteForm(request.POST or None, owner=request.user.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows = rows_from_text(
                data["lines"],
                default_seen_at=data.get("default_seen_at"),
                default_context=data.get("default_context") or "",
            )
            result = _submit(request, form, rows)
        except ParseError as exc:
            form.add_error("lines", str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return render(request, "indicators/submit_result.html", {"result": result})
    return render(request, "indicators/report_submit.html", {"form": form, "mode": "paste"})


@login_required
def report_upload(request: AuthedHttpRequest) -> HttpResponse:
    """A CSV upload; the result page lists each row's outcome."""
    _require_submit(request)
    form = UploadForm(request.POST or None, request.FILES or None, owner=request.user.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows = rows_from_csv(
                decode(data["file"].read()),
                default_seen_at=data.get("default_seen_at"),
                default_context=data.get("default_context") or "",
            )
            if len(rows) > settings.INDICATORS_UPLOAD_ASYNC_ROWS:
                job = services.upload_job_create(
                    actor=request.user,
                    rows=rows,
                    file_name=data["file"].name or "",
                    **audience_kwargs(data),
                )
                return redirect("indicators:upload_job", job.pk)
            result = _submit(request, form, rows)
        except ParseError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return render(request, "indicators/submit_result.html", {"result": result})
    return render(request, "indicators/report_submit.html", {"form": form, "mode": "upload"})


@login_required
def upload_job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    """A long upload's progress; once done, each rejected or duplicate row with its reason."""
    job = selectors.upload_job_get(user=request.user, job_id=job_id)
    response = render(request, "indicators/upload_job.html", {"job": job})
    if job.in_progress:
        response["Refresh"] = "2"
    return response


@login_required
def report_detail(request: AuthedHttpRequest, report_id: int) -> HttpResponse:
    """A report, its matches and why, and who else reported it (within the audience)."""
    report = selectors.report_get(user=request.user, report_id=report_id)
    return render(
        request,
        "indicators/report_detail.html",
        {
            "report": report,
            "matches": selectors.report_matches(report=report),
            "correlation": selectors.report_correlation(user=request.user, report=report),
            **_attribution(),
        },
    )


@login_required
def match_detail(request: AuthedHttpRequest, match_id: int) -> HttpResponse:
    """Why a report matched a compound: the evidence, the warn-list entry, and its history."""
    match = selectors.match_get(user=request.user, match_id=match_id)
    return render(request, "indicators/match_detail.html", {"match": match})


@login_required
def match_list(request: AuthedHttpRequest) -> HttpResponse:
    include_withdrawn = request.GET.get("withdrawn") == "1"
    since = _since(request.GET.get("since", ""))
    mine = request.GET.get("mine") == "1"
    qs = selectors.match_list(
        user=request.user, include_withdrawn=include_withdrawn, since=since, mine=mine
    )
    return render(
        request,
        "indicators/match_list.html",
        {
            "page": _page(request, qs),
            "include_withdrawn": include_withdrawn,
            "since": since,
            "mine": mine,
        },
    )


def _since(text: str) -> datetime | None:
    """The `since` of a link (the dashboard's "new since your last sign-in"); junk is ignored."""
    try:
        moment = parse_datetime(text[:40].replace(" ", "+"))  # a "+" in a query reads as " "
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


# --- catalogue -----------------------------------------------------------------------------


@login_required
def compound_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can_view_catalogue(request.user):
        raise PermissionDenied
    return render(
        request,
        "indicators/compound_list.html",
        {
            "compounds": selectors.compound_list(user=request.user),
            "can_curate": can_curate(request.user),
        },
    )


@login_required
def compound_detail(request: AuthedHttpRequest, compound_id: int) -> HttpResponse:
    """A compound, its evidence, and the matches within the viewer's audience."""
    compound = selectors.compound_get(user=request.user, compound_id=compound_id)
    matches = selectors.match_list(user=request.user, compound_id=compound.pk)
    return render(
        request,
        "indicators/compound_detail.html",
        {
            "compound": compound,
            "evidence": selectors.evidence_list(user=request.user, compound_id=compound.pk),
            "page": _page(request, matches),
            "can_curate": can_curate(request.user),
        },
    )


@login_required
def compound_edit(request: AuthedHttpRequest, compound_id: int | None = None) -> HttpResponse:
    _require_curator(request)
    compound = (
        selectors.compound_get(user=request.user, compound_id=compound_id) if compound_id else None
    )
    initial = CompoundForm.initial_from(compound) if compound else None
    form = CompoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            compound = services.compound_save(
                actor=request.user, compound=compound, **form.service_fields()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Compound saved."))
            return redirect("indicators:compound_detail", compound.pk)
    return render(request, "indicators/compound_form.html", {"form": form, "compound": compound})


@login_required
def evidence_edit(
    request: AuthedHttpRequest, compound_id: int | None = None, evidence_id: int | None = None
) -> HttpResponse:
    _require_curator(request)
    evidence = None
    if evidence_id:
        evidence = selectors.evidence_get_for_edit(user=request.user, evidence_id=evidence_id)
        compound = evidence.compound
    else:
        compound = selectors.compound_get(user=request.user, compound_id=compound_id)
    initial = (
        {f: getattr(evidence, f) for f in services.EVIDENCE_FIELDS}
        if evidence
        else {"confidence": 50}
    )
    form = EvidenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_save(
                actor=request.user, compound=compound, evidence=evidence, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Evidence saved; affected reports are being re-matched."))
            return redirect("indicators:compound_detail", compound.pk)
    return render(
        request,
        "indicators/evidence_form.html",
        {"form": form, "compound": compound, "evidence": evidence},
    )


@login_required
@require_POST
def evidence_delete(request: AuthedHttpRequest, evidence_id: int) -> HttpResponse:
    _require_curator(request)
    evidence = selectors.evidence_get_for_edit(user=request.user, evidence_id=evidence_id)
    compound_id = evidence.compound_id
    services.evidence_delete(actor=request.user, evidence=evidence)
    messages.success(request, _("Evidence removed; its matches were withdrawn."))
    return redirect("indicators:compound_detail", compound_id)


@login_required
def warn_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can_view_catalogue(request.user):
        raise PermissionDenied
    form = None
    if can_curate(request.user):
        form = WarnEntryForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.warn_entry_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Warn-list entry saved."))
                return redirect("indicators:warn_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "indicators/warn_list.html",
        {"entries": selectors.warn_list(user=request.user), "form": form},
    )


@login_required
@require_POST
def warn_delete(request: AuthedHttpRequest, entry_id: int) -> HttpResponse:
    _require_curator(request)
    entry = selectors.warn_get_for_edit(user=request.user, entry_id=entry_id)
    services.warn_entry_delete(actor=request.user, entry=entry)
    messages.success(request, _("Warn-list entry removed."))
    return redirect("indicators:warn_list")


@login_required
def catalogue_import(request: AuthedHttpRequest) -> HttpResponse:
    """Upload a CSV, JSON or geofeed catalogue file; each bad line is listed with its reason."""
    _require_curator(request)
    form = CatalogueImportForm(
        request.POST or None,
        request.FILES or None,
        compounds=selectors.compound_list(user=request.user),
    )
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            _fmt, items = catalogue_parse(
                name=upload.name,
                data=upload.read(),
                fmt=data["format"],
                compound=data["compound"].name if data.get("compound") else "",
            )
            result = services.catalogue_import(actor=request.user, items=items)
        except ParseError as exc:
            form.add_error("file", str(exc))
    return render(request, "indicators/catalogue_import.html", {"form": form, "result": result})
