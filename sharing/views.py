from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from embassies.types import AuthedHttpRequest

from .notifications import inbox, mark_read


@login_required
def notification_list(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request, "sharing/notifications.html", {"notifications": inbox(user=request.user)[:100]}
    )


@login_required
@require_POST
def notifications_read(request: AuthedHttpRequest) -> HttpResponse:
    mark_read(user=request.user)
    return redirect("notifications")
