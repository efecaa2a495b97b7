"""Pages for officers (my leads, new lead, lead detail) and analysts (queues, cases).

Records are reached only through selectors; writes only through services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from embassies.permissions import is_police_analyst
from embassies.types import AuthedHttpRequest
from sharing.api import audience_kwargs
from sharing.selectors import NOT_FOUND_MESSAGE

from . import selectors, services
from .choices import CaseStatus, LeadKind, LeadStatus
from .forms import (
    AssignForm,
    CaseLinkForm,
    CaseOpenForm,
    CaseReportLinkForm,
    CaseStatusForm,
    CaseVictimLinkForm,
    CommentForm,
    FreezeRaiseForm,
    FreezeUpdateForm,
    LeadFilterForm,
    LeadForm,
    TaskForm,
    TransitionForm,
)
from .pagination import CappedPaginator
from .permissions import can_request_freeze, can_submit
from .querysets import REVIEW_STATUSES

PAGE_SIZE = 50


def _apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _flash_error(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc) or _("Not allowed."))


def _page(request: HttpRequest, qs):
    return CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- leads ---------------------------------------------------------------------------------


@login_required
def lead_list(request: AuthedHttpRequest) -> HttpResponse:
    """My workspace's leads by default; `?all=1` lists every lead the user may see."""
    form = LeadFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    show_all = request.GET.get("all") == "1"
    qs = selectors.as_rows(
        selectors.lead_list(user=request.user, filters={**filters, "mine": not show_all})
    )
    return render(
        request,
        "cases/lead_list.html",
        {
            "page": _page(request, qs),
            "form": form,
            "show_all": show_all,
            "kinds": LeadKind.choices,
            "statuses": LeadStatus.choices,
            "can_submit": can_submit(request.user),
        },
    )


@login_required
def lead_search(request: AuthedHttpRequest) -> HttpResponse:
    """Search every lead in the user's audience by normalised value, kind, status and date."""
    form = LeadFilterForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data.get("q"):
        qs = selectors.lead_list(user=request.user, filters=form.cleaned_data)
        page = _page(request, selectors.as_rows(qs))
    return render(request, "cases/lead_search.html", {"form": form, "page": page})


@login_required
def lead_new(request: AuthedHttpRequest) -> HttpResponse:
    """Pick a kind (a link each), then fill in that kind's fields."""
    if not can_submit(request.user):
        raise PermissionDenied
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in LeadKind.values:
        return render(request, "cases/lead_kind.html", {"kinds": LeadKind.choices})
    form = LeadForm(request.POST or None, kind=kind, owner=request.user.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lead = services.lead_create(
                actor=request.user,
                kind=kind,
                fields=form.kind_values(),
                reliability=data["reliability"],
                grade=data["grade"],
                description=data.get("description", ""),
                compound_refs=data.get("compound_refs", ""),
                **audience_kwargs(data),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Lead submitted."))
            return redirect("cases:lead_detail", lead.pk)
    return render(
        request,
        "cases/lead_new.html",
        {"form": form, "kind": kind, "kind_label": LeadKind(kind).label},
    )


@login_required
def lead_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    user = request.user
    now = timezone.now()
    correlation = selectors.lead_correlation(user=user, lead=lead)
    analyst = is_police_analyst(user)
    context = {
        "lead": lead,
        "history": selectors.lead_history(lead=lead),
        "comments": selectors.lead_comments(lead=lead),
        "comment_form": CommentForm(),
        "correlation": correlation,
        "ip_reports": selectors.lead_ip_reports(user=user, lead=lead),
        "pending_access": selectors.access_requests_pending_from(user=user, via_lead=lead),
        "moves": [
            (m, services.LeadStatus(m).label)
            for m in services.allowed_transitions(user=user, lead=lead)
        ],
        "transition_form": TransitionForm(),
        "assign_form": AssignForm(
            analysts=selectors.analysts(), initial={"assignee": lead.assignee_id}
        )
        if analyst
        else None,
        "freezes": [
            (f, selectors.freeze_clock(f, now=now))
            for f in selectors.freezes_for_lead(lead=lead, now=now)
        ],
        "can_freeze": can_request_freeze(user, lead),
        "freeze_form": FreezeRaiseForm(),
        "case_form": CaseOpenForm(initial={"title": str(lead)[:200]}) if analyst else None,
        "link_form": CaseLinkForm(cases=selectors.case_choices_for_lead(user=user, lead=lead))
        if analyst
        else None,
        "cases": selectors.case_list(user=user).filter(lead_links__lead=lead),
        "incoming": selectors.access_requests_incoming(user=user).filter(lead=lead)
        if user.workspace_id == lead.workspace_id
        else [],
    }
    return render(request, "cases/lead_detail.html", context)


def _post_action(request: AuthedHttpRequest, pk: int, action) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    try:
        action(lead)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    return redirect("cases:lead_detail", lead.pk)


@login_required
@require_POST
def lead_transition(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = TransitionForm(request.POST)

    def act(lead):
        if not form.is_valid():
            raise ValidationError(_("Unknown status."))
        services.lead_transition(
            actor=request.user,
            lead=lead,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Status changed."))

    return _post_action(request, pk, act)


@login_required
@require_POST
def lead_comment(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = CommentForm(request.POST)

    def act(lead):
        if not form.is_valid():
            raise ValidationError(_("Write a comment (5,000 characters at most)."))
        services.lead_comment_add(actor=request.user, lead=lead, text=form.cleaned_data["text"])

    return _post_action(request, pk, act)


@login_required
@require_POST
def lead_assign(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST, analysts=selectors.analysts())

    def act(lead):
        if not form.is_valid():
            raise ValidationError(_("Choose a police analyst."))
        services.lead_assign(actor=request.user, lead=lead, assignee=form.cleaned_data["assignee"])

    return _post_action(request, pk, act)


@login_required
@require_POST
def lead_freeze(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = FreezeRaiseForm(request.POST)

    def act(lead):
        form.is_valid()
        services.freeze_request_raise(
            actor=request.user,
            lead=lead,
            bank_reference=form.cleaned_data.get("bank_reference", ""),
        )
        messages.success(request, _("Freeze request raised. The clock is running."))

    return _post_action(request, pk, act)


@login_required
@require_POST
def lead_request_access(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    def act(lead):
        made = services.access_request_create(
            actor=request.user, via_lead=lead, note=request.POST.get("note", "")[:2000]
        )
        if made:
            messages.success(
                request, _("Access requested from %(n)d record owner(s).") % {"n": made}
            )
        else:
            messages.info(request, _("There is nothing more to request access to."))

    return _post_action(request, pk, act)


@login_required
@require_POST
def lead_open_case(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = CaseOpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the case a title."))
        return redirect("cases:lead_detail", lead.pk)
    try:
        case = services.case_open(actor=request.user, leads=[lead], **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
        return redirect("cases:lead_detail", lead.pk)
    return redirect("cases:case_detail", case.pk)


@login_required
@require_POST
def lead_link_case(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = CaseLinkForm(
        request.POST, cases=selectors.case_choices_for_lead(user=request.user, lead=lead)
    )
    if not form.is_valid():
        messages.error(request, _("Choose an open case."))
        return redirect("cases:lead_detail", lead.pk)
    try:
        services.case_lead_add(actor=request.user, case=form.cleaned_data["case"], lead=lead)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
        return redirect("cases:lead_detail", lead.pk)
    return redirect("cases:case_detail", form.cleaned_data["case"].pk)


# --- analysts' queues ----------------------------------------------------------------------


def review_status_choices() -> list[tuple[str, str]]:
    return [(str(s.value), str(s.label)) for s in REVIEW_STATUSES]


@login_required
def review_queue(request: AuthedHttpRequest) -> HttpResponse:
    if not is_police_analyst(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    qs = selectors.as_rows(selectors.review_queue(user=request.user, status=status))
    return render(
        request,
        "cases/review_queue.html",
        {"page": _page(request, qs), "status": status, "statuses": review_status_choices()},
    )


@login_required
def freeze_queue(request: AuthedHttpRequest) -> HttpResponse:
    """Open freeze requests with their running clocks (computed here, no script), overdue first."""
    if not is_police_analyst(request.user):
        raise PermissionDenied
    now = timezone.now()
    overdue = request.GET.get("overdue") == "1"
    page = _page(request, selectors.freeze_queue(user=request.user, now=now, overdue=overdue))
    rows = [(f, selectors.freeze_clock(f, now=now)) for f in page.object_list]
    return render(
        request,
        "cases/freeze_queue.html",
        {"page": page, "rows": rows, "now": now, "overdue_only": overdue},
    )


@login_required
def freeze_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    now = timezone.now()
    freeze = selectors.freeze_get(user=request.user, freeze_id=pk, now=now)
    form = FreezeUpdateForm(request.POST or None, initial={"bank_reference": freeze.bank_reference})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.freeze_request_update(
                actor=request.user,
                freeze=freeze,
                state=data["state"] or None,
                bank_reference=data["bank_reference"],
                outcome=data["outcome"] or None,
                hold_expires_at=data["hold_expires_at"],
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("Not allowed."))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Freeze request updated."))
            return redirect("cases:freeze_detail", freeze.pk)
    return render(
        request,
        "cases/freeze_detail.html",
        {
            "freeze": freeze,
            "clock": selectors.freeze_clock(freeze, now=now),
            "form": form,
            "can_update": can_request_freeze(request.user, freeze.lead),
        },
    )


# --- cases ---------------------------------------------------------------------------------


@login_required
def case_list(request: AuthedHttpRequest) -> HttpResponse:
    """Cases in the user's audience; `?q=` finds one by number (CASE-000123) or title words."""
    q = request.GET.get("q", "").strip()[:200]
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status", "")
    qs = selectors.case_list(
        user=request.user,
        filters={"q": q, "mine": mine, "status": status if status in CaseStatus else ""},
    )
    return render(
        request, "cases/case_list.html", {"page": _page(request, qs), "q": q, "mine": mine}
    )


@login_required
def case_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=pk)
    analyst = is_police_analyst(request.user)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "links": selectors.case_leads(user=request.user, case=case),
            "report_links": list(selectors.case_reports(user=request.user, case=case)),
            "victim_links": list(selectors.case_victims(user=request.user, case=case)),
            "report_form": CaseReportLinkForm() if analyst else None,
            "victim_form": CaseVictimLinkForm() if analyst else None,
            "tasks": selectors.case_tasks(case=case),
            "timeline": selectors.case_timeline(user=request.user, case=case),
            "task_form": TaskForm(analysts=selectors.analysts()) if analyst else None,
            "status_form": CaseStatusForm(initial={"status": case.status}) if analyst else None,
        },
    )


def _case_action(request: AuthedHttpRequest, pk: int, action) -> HttpResponse:
    """Run `action` on a case the user may see. Bad input goes back to the case page with a
    message; a user who may see the case but not change it gets 403 (PermissionDenied), and a
    linked object that is missing or hidden 404, like any other URL naming it."""
    case = selectors.case_get(user=request.user, case_id=pk)
    try:
        action(case)
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("cases:case_detail", case.pk)


@login_required
@require_POST
def case_task_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = TaskForm(request.POST, analysts=selectors.analysts())

    def act(case):
        if not form.is_valid():
            raise ValidationError(
                [f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()]
            )
        services.case_task_add(actor=request.user, case=case, **form.cleaned_data)

    return _case_action(request, pk, act)


@login_required
@require_POST
def case_task_done(request: AuthedHttpRequest, pk: int, task_id: int) -> HttpResponse:
    def act(case):
        task = selectors.case_tasks(case=case).filter(pk=task_id).first()
        if task is None:
            raise Http404(_(NOT_FOUND_MESSAGE))
        services.case_task_done(actor=request.user, task=task)

    return _case_action(request, pk, act)


@login_required
@require_POST
def case_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = CaseStatusForm(request.POST)

    def act(case):
        if not form.is_valid():
            raise ValidationError(_("Unknown status."))
        services.case_update(actor=request.user, case=case, status=form.cleaned_data["status"])

    return _case_action(request, pk, act)


def _form_error(form) -> ValidationError:
    return ValidationError([f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()])


@login_required
@require_POST
def case_report_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Link an IP report the analyst can see (404 for a missing or hidden report)."""
    form = CaseReportLinkForm(request.POST)

    def act(case):
        if not form.is_valid():
            raise _form_error(form)
        services.case_report_add(
            actor=request.user, case=case, report_id=form.cleaned_data["report"]
        )

    return _case_action(request, pk, act)


@login_required
@require_POST
def case_report_remove(request: AuthedHttpRequest, pk: int, report_id: int) -> HttpResponse:
    return _case_action(
        request,
        pk,
        lambda case: services.case_report_remove(
            actor=request.user, case=case, report_id=report_id
        ),
    )


@login_required
@require_POST
def case_victim_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Link a victim record the analyst can see (404 for a missing or hidden record)."""
    form = CaseVictimLinkForm(request.POST)

    def act(case):
        if not form.is_valid():
            raise _form_error(form)
        services.case_victim_add(
            actor=request.user, case=case, victim_id=form.cleaned_data["victim"]
        )

    return _case_action(request, pk, act)


@login_required
@require_POST
def case_victim_remove(request: AuthedHttpRequest, pk: int, victim_id: int) -> HttpResponse:
    return _case_action(
        request,
        pk,
        lambda case: services.case_victim_remove(
            actor=request.user, case=case, victim_id=victim_id
        ),
    )


# --- access requests -----------------------------------------------------------------------


@login_required
def access_requests(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/access_requests.html",
        {
            "incoming": selectors.access_requests_incoming(user=request.user)[:200],
            "outgoing": selectors.access_requests_outgoing(user=request.user)[:200],
        },
    )


@login_required
@require_POST
def access_request_decide(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    access_request = selectors.access_request_get_incoming(user=request.user, request_id=pk)
    try:
        services.access_request_decide(
            actor=request.user,
            access_request=access_request,
            approve=request.POST.get("decision") == "approve",
        )
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("cases:access_requests")
