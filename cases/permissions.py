"""Who may do what with a lead, a freeze request or a case (given they can see it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embassies.permissions import is_officer, is_police_analyst

from .choices import LeadKind

if TYPE_CHECKING:
    from embassies.models import User

    from .models import Case, Lead


def can_submit(user: User) -> bool:
    """Officers (and analysts, who hold the officer grant) of a workspace submit leads."""
    return bool(user.is_authenticated and user.workspace_id and is_officer(user))


def can_review(user: User, lead: Lead) -> bool:
    """A police analyst who did not submit the lead reviews it."""
    return is_police_analyst(user) and lead.created_by_id != user.pk


def can_resubmit(user: User, lead: Lead) -> bool:
    """The submitting workspace answers a lead returned for information."""
    return user.workspace_id == lead.workspace_id and is_officer(user)


def can_request_freeze(user: User, lead: Lead) -> bool:
    """A police analyst, or an officer of the owner workspace, on a bank-account lead."""
    if lead.kind != LeadKind.BANK_ACCOUNT:
        return False
    return is_police_analyst(user) or can_resubmit(user, lead)


def can_manage_case(user: User, case: Case) -> bool:
    """Police analysts work on cases (the case itself must be visible to them)."""
    return is_police_analyst(user)
