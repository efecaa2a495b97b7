"""The real URLconf plus endpoints with planted flaws, to prove the matrix catches them."""

from django.http import Http404, HttpResponse
from django.urls import path

from cases.models import Lead
from exchange.urls import urlpatterns as real_urlpatterns


def shows_any_lead(request, pk):
    """Leak: no audience check."""
    lead = Lead.objects.filter(pk=pk).first()
    if lead is None:
        raise Http404
    return HttpResponse(lead.description)


def refuses_differently(request, pk):
    """Existence oracle: refuses a hidden lead, but not the way it refuses a missing one."""
    if Lead.objects.filter(pk=pk).exists():
        return HttpResponse(b"not yours", status=404)
    raise Http404


def writes_then_refuses(request, pk):
    """Cross-tenant write: a POST changes the lead, then answers 404 as if nothing happened."""
    if request.method == "POST":
        Lead.objects.filter(pk=pk).update(description="overwritten")
    raise Http404


def counts_every_lead(request):
    """Count leak: a total that includes leads the viewer may not see."""
    return HttpResponse(f"{Lead.objects.count()} leads")


def names_an_unknown_kind(request, gadget_id):
    raise Http404


urlpatterns = [
    *real_urlpatterns,
    path("leaky/<int:pk>/", shows_any_lead),
    path("leaky-oracle/<int:pk>/", refuses_differently),
    path("leaky-write/<int:pk>/", writes_then_refuses),
    path("leaky-count/", counts_every_lead),
    path("leaky-gadgets/<int:gadget_id>/", names_an_unknown_kind),
]
