"""Officer and curator pages: submission forms, lists, details, and audience isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from indicators.models import IPReport, NetworkEvidence
from tests.oracle import fingerprint

pytestmark = pytest.mark.django_db

AUDIENCE = {"tlp": "amber", "audience": "police"}


def _seen(hours=1):
    return (timezone.now() - timedelta(hours=hours)).isoformat()


@pytest.fixture
def alpha_secret(alice, kk_park, add_evidence, submit):
    """alice's owner-only report that matches KK Park."""
    add_evidence(kk_park, "45.12.64.0/22")
    result = submit(alice, "45.12.64.7", audience="owner")
    return IPReport.objects.get(pk=result.created[0])


def test_single_form_saves_and_matches(
    alice, as_user, kk_park, add_evidence, django_capture_on_commit_callbacks
):
    add_evidence(kk_park, "45.12.64.0/22")
    browser = as_user(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("indicators:report_submit"),
            {"address": "45.12.64.9", "seen_at": "2026-01-02 10:00", "context": "chat", **AUDIENCE},
        )
    report = IPReport.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/reports/{report.pk}/")
    page = browser.get(response.url)
    assert b"KK Park" in page.content and b"45.12.64.0/22" in page.content
    assert b"GeoLite2" in page.content and b"CC BY-SA 4.0" in page.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"address": "10.0.0.1"}, "address", "private"),
        ({"address": "nonsense"}, "address", "not an IP"),
        ({"address": "8.8.8.8", "seen_at": "2999-01-01 10:00"}, "seen_at", "future"),
        ({"address": "8.8.8.8", "context": "phishing"}, "context", "valid choice"),
    ],
)
def test_single_form_errors_name_the_field(alice, as_user, data, field, message):
    form = {"seen_at": "2026-01-02 10:00", "context": "chat", **AUDIENCE, **data}
    response = as_user(alice).post(reverse("indicators:report_submit"), form)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not IPReport.objects.exists()


def test_single_form_duplicate(alice, as_user):
    form = {"address": "8.8.8.8", "seen_at": "2026-01-02 10:00", "context": "chat", **AUDIENCE}
    browser = as_user(alice)
    browser.post(reverse("indicators:report_submit"), form)
    response = browser.post(reverse("indicators:report_submit"), form)
    assert "already reported" in str(response.context["form"].errors)
    assert IPReport.objects.count() == 1


def test_paste_reports_each_bad_line_and_keeps_the_good(alice, as_user):
    lines = "\n".join(
        [
            "8.8.8.8",
            f"1.1.1.1,{_seen()},scam_call,443,from the victim's phone",
            "# a comment",
            "10.0.0.1",
            "not-an-ip",
            f"9.9.9.9,{_seen(-2)},chat",
            "8.8.4.4,,phishing",
            "8.8.8.8",
        ]
    )
    response = as_user(alice).post(
        reverse("indicators:report_paste"),
        {
            "lines": lines,
            "default_seen_at": "2026-01-02 10:00",
            "default_context": "chat",
            **AUDIENCE,
        },
    )
    result = response.context["result"]
    assert sorted(IPReport.objects.values_list("address", flat=True)) == ["1.1.1.1", "8.8.8.8"]
    assert [(p.row, p.value) for p in result.errors] == [
        (4, "10.0.0.1"),
        (5, "not-an-ip"),
        (6, "9.9.9.9"),
        (7, "8.8.4.4"),
    ]
    assert [p.row for p in result.duplicates] == [8]
    body = response.content.decode()
    assert "seen in the future" in body and "unknown context" in body and "already reported" in body
    assert IPReport.objects.get(address="1.1.1.1").port == 443


def test_csv_upload_shows_per_row_results(alice, as_user):
    csv = (
        "address,seen_at,context,port,note\n"
        f"8.8.8.8,{_seen()},chat,,\n"
        f"192.0.2.1,{_seen()},chat,,\n"
        f"8.8.4.4,{_seen()},chat,99999,\n"
        f"1.1.1.1,{_seen()},victim_login,22,ssh\n"
    )
    upload = SimpleUploadedFile("ips.csv", csv.encode(), content_type="text/csv")
    response = as_user(alice).post(
        reverse("indicators:report_upload"), {"file": upload, **AUDIENCE}
    )
    result = response.context["result"]
    assert len(result.created) == 2
    assert [(p.row, p.reason.split(" (")[0]) for p in result.errors] == [
        (3, "documentation range"),
        (4, "bad port"),
    ]


def test_csv_upload_without_header_or_not_utf8(alice, as_user):
    browser = as_user(alice)
    for content, message in [
        (b"8.8.8.8,2026-01-01,chat\n", "header"),
        (b"\xff\xfe\x00bad", "UTF-8"),
    ]:
        upload = SimpleUploadedFile("ips.csv", content)
        response = browser.post(reverse("indicators:report_upload"), {"file": upload, **AUDIENCE})
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["file"])


def test_outsider_and_admin_cannot_submit(outsider, platform_admin, as_user):
    for user in (outsider, platform_admin):
        assert as_user(user).get(reverse("indicators:report_submit")).status_code == 403


def test_report_detail_hidden_from_bravo_like_a_missing_id(
    alpha_secret, bob, analyst, alice, as_user
):
    url = reverse("indicators:report_detail", args=[alpha_secret.pk])
    missing = reverse("indicators:report_detail", args=[alpha_secret.pk + 1000])
    browser = as_user(bob)
    assert fingerprint(browser.get(url), url) == fingerprint(browser.get(missing), missing)
    assert browser.get(url).status_code == 404
    assert as_user(analyst).get(url).status_code == 404  # owner-only: not even police
    assert as_user(alice).get(url).status_code == 200


def test_lists_and_compound_page_hide_other_workspaces_records(alpha_secret, bob, as_user, kk_park):
    browser = as_user(bob)
    for url in (
        reverse("indicators:report_list") + "?scope=all",
        reverse("indicators:match_list") + "?withdrawn=1",
        reverse("indicators:compound_detail", args=[kk_park.pk]),
    ):
        response = browser.get(url)
        assert response.status_code == 200
        assert b"45.12.64.7" not in response.content, url


def test_owner_sees_its_report_in_every_list(alpha_secret, alice, as_user, kk_park):
    browser = as_user(alice)
    for url in (
        reverse("indicators:report_list"),
        reverse("indicators:match_list"),
        reverse("indicators:compound_detail", args=[kk_park.pk]),
    ):
        assert b"45.12.64.7" in browser.get(url).content, url


def test_correlation_counts_hidden_delegations_and_lists_visible_ones(
    alice, bob, analyst, as_user, kk_park, add_evidence, submit, bravo
):
    add_evidence(kk_park, "45.12.64.0/22")
    mine = submit(alice, "45.12.64.7").created[0]
    submit(bob, "45.12.64.7", audience="owner")  # same address, hidden from alice
    submit(bob, "45.12.65.1", audience="all")  # same matched prefix, shared with all
    response = as_user(alice).get(reverse("indicators:report_detail", args=[mine]))
    correlation = response.context["correlation"]
    assert correlation.hidden_workspaces == 0  # bravo is seen through its shared report
    assert [r.address for r in correlation.visible] == ["45.12.65.1"]
    assert b"1 other delegation reported" in response.content
    # charlie (police) sees neither the owner-only one nor lists it, but counts nothing new.
    only_hidden = submit(bob, "45.12.64.9", audience="owner").created[0]
    assert only_hidden
    body = as_user(analyst).get(reverse("indicators:report_detail", args=[mine])).content
    assert b"45.12.64.9" not in body


def test_correlation_counts_without_naming(alice, bob, as_user, submit):
    mine = submit(alice, "8.8.8.8").created[0]
    submit(bob, "8.8.8.8", audience="owner")
    response = as_user(alice).get(reverse("indicators:report_detail", args=[mine]))
    assert response.context["correlation"].hidden_workspaces == 1
    assert b"Bravonia" not in response.content


def _queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx)


def test_list_pages_query_count_is_constant(alice, as_user, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22")
    browser = as_user(alice)
    urls = [
        reverse("indicators:report_list"),
        reverse("indicators:match_list"),
        reverse("indicators:compound_detail", args=[kk_park.pk]),
        reverse("indicators:compound_list"),
    ]
    submit(alice, "45.12.64.1", "8.8.8.8")
    before = [_queries(browser, url) for url in urls]
    submit(alice, *[f"45.12.64.{i}" for i in range(10, 30)], "1.1.1.1")
    assert [_queries(browser, url) for url in urls] == before


def test_curator_pages(platform_admin, as_user, kk_park):
    browser = as_user(platform_admin)
    response = browser.post(
        reverse("indicators:compound_create"),
        {
            "name": "Dongmei Park",
            "aliases": "Dong Mei, Huanya",
            "country": "MM",
            "status": "active",
            "area": "Myawaddy",
        },
    )
    assert response.status_code == 302
    response = browser.post(
        reverse("indicators:evidence_create", args=[kk_park.pk]),
        {"kind": "prefix", "network": "45.12.64.9/22", "confidence": 60},
    )
    assert response.status_code == 302
    assert NetworkEvidence.objects.get().network == "45.12.64.0/22"
    bad = browser.post(
        reverse("indicators:evidence_create", args=[kk_park.pk]),
        {"kind": "prefix", "network": "45.12.999.0/22", "confidence": 60},
    )
    assert bad.status_code == 200 and "not a CIDR prefix" in str(bad.context["form"].errors)
    assert browser.get(reverse("indicators:compound_list")).status_code == 200
    response = browser.post(
        reverse("indicators:warn_list"),
        {
            "kind": "asn",
            "asn": "AS14593",
            "as_org": "SPACEX-STARLINK",
            "category": "satellite",
            "reason": "Starlink",
        },
    )
    assert response.status_code == 302


def test_officers_cannot_curate(alice, as_user, kk_park, add_evidence):
    evidence = add_evidence(kk_park, "45.12.64.0/22")
    browser = as_user(alice)
    assert browser.get(reverse("indicators:compound_create")).status_code == 403
    assert (
        browser.post(reverse("indicators:evidence_delete", args=[evidence.pk])).status_code == 403
    )
    assert browser.get(reverse("indicators:catalogue_import")).status_code == 403
    assert browser.get(reverse("indicators:compound_detail", args=[kk_park.pk])).status_code == 200


def test_outsider_sees_no_catalogue(outsider, as_user, kk_park):
    browser = as_user(outsider)
    assert browser.get(reverse("indicators:compound_detail", args=[kk_park.pk])).status_code == 404
    assert browser.get(reverse("indicators:compound_list")).status_code == 403
