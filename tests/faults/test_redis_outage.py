"""Redis stops while officers submit: the API keeps accepting, and the sweep matches it all."""

from __future__ import annotations

import time

from .harness import Ledger, Submitter, generate_rows, report, split_batches, submissions, tally

OUTAGE_SECONDS = 3  # at least; longer when the submissions during the outage take longer


def test_reports_submitted_while_redis_is_down_are_all_matched_after_the_sweep(stack):
    n = submissions()
    rows = generate_rows(n, seed=1)
    before, during, after = rows[: n // 3], rows[n // 3 : 2 * n // 3], rows[2 * n // 3 :]
    ledger = Ledger()
    client = Submitter(stack, "redis", ledger)
    started = time.monotonic()

    client.submit_all(split_batches(before))
    stack.redis.stop()
    outage_started = time.monotonic()
    first_outage_request = len(ledger.latencies)
    client.submit_all(split_batches(during))
    outage_latencies = sorted(ledger.latencies[first_outage_request:])
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
    # Accepted while the broker was down: stored, and queued for the matcher in the database.
    pending_in_outage = stack.pending("redis")
    stack.redis.start()  # empty: every task published before the outage is gone too
    outage = time.monotonic() - outage_started

    client.submit_all(split_batches(after))
    stack.wait_idle()
    left_for_sweep = stack.pending("redis")
    stack.sweep()
    stack.wait_matched("redis")
    stack.wait_idle()
    owed_emails = stack.sweep_emails()
    result = tally(stack, "redis", rows, ledger)

    p95_outage = outage_latencies[int(0.95 * (len(outage_latencies) - 1))]
    print(
        report(
            "Redis stopped while reports are submitted",
            [
                f"redis-server stopped for {outage:.1f} s while {len(during)} rows were "
                f"submitted (p95 {p95_outage * 1000:.0f} ms per request during the outage), "
                "restarted empty",
                f"pending in the database during the outage: {pending_in_outage}; "
                f"left for the sweep after the restart: {left_for_sweep}",
                f"e-mails still owed after matching (their tasks lost with Redis), sent by "
                f"the outbox sweep: {owed_emails}",
            ],
            ledger,
            result,
            time.monotonic() - started,
        )
    )
    assert ledger.refused_requests == 0, ledger.statuses  # the API never refused a report
    assert ledger.row_errors == [] and ledger.duplicates_unexpected == 0
    assert len(ledger.accepted) == n
    assert pending_in_outage >= len(during)
    assert (result.rows_in_db, result.lost, result.duplicates, result.pending) == (n, 0, 0, 0)
    assert result.matches == result.expected and result.phantom == 0
    # One e-mail per notice, none twice: the e-mail tasks queued in Redis when it restarted
    # empty, and those nobody could publish while it was down, were owed in the database.
    assert result.emails == result.notices
    assert stack.query("SELECT count(*) FROM sharing_notification WHERE email_due")[0][0] == 0
