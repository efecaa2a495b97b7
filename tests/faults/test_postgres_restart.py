"""PostgreSQL restarted under traffic: clean 503s during the outage, recovery without restarts.

Submitters (with retries) and readers keep calling the API while the private cluster is
restarted (`pg_ctl restart -m fast`) and, later, stopped for a few seconds and started again.
Every refusal must be a 503 with Retry-After and a JSON message (never a debug page, never a
hang); afterwards the same gunicorn and Celery processes serve and match again; every row the
API accepted is stored and matched once, and the retried refusals reconcile the final counts.
"""

from __future__ import annotations

import threading
import time

from .harness import Ledger, Submitter, generate_rows, report, split_batches, submissions, tally

OUTAGE_SECONDS = 4


def test_postgres_restarted_under_traffic_fails_cleanly_and_recovers(stack):
    n = submissions()
    rows = generate_rows(n, seed=4)
    batches = split_batches(rows, batch=max(5, n // 250), single_share=0.05)
    ledger = Ledger()
    client = Submitter(stack, "postgres", ledger)
    web_pids = (stack.web.proc.pid, stack.web.children())
    worker_pids = (stack.worker.proc.pid, stack.worker.children())
    started = time.monotonic()
    injected: list[str] = []
    done = threading.Event()

    def answered() -> int:
        with ledger.lock:
            return sum(ledger.statuses.values())

    def inject() -> None:
        while answered() < len(batches) // 4 and not done.is_set():
            time.sleep(0.05)
        t0 = time.monotonic()
        stack.pg.restart("fast")
        injected.append(f"pg_ctl restart -m fast after {len(batches) // 4} requests: "
                        f"{time.monotonic() - t0:.1f} s")  # fmt: skip
        while answered() < len(batches) // 2 and not done.is_set():
            time.sleep(0.05)
        t0 = time.monotonic()
        stack.pg.stop("fast")
        time.sleep(OUTAGE_SECONDS)
        stack.pg.start()
        injected.append(f"pg_ctl stop -m fast, {OUTAGE_SECONDS} s down, start: "
                        f"{time.monotonic() - t0:.1f} s without a database")  # fmt: skip

    def read() -> None:
        while not done.is_set():
            client.read()
            time.sleep(0.05)

    faults = threading.Thread(target=inject)
    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in (faults, *readers):
        t.start()
    try:
        client.submit_all(batches, threads=4, retry_until=time.monotonic() + 300)
        faults.join(timeout=120)
    finally:
        done.set()
        for t in (faults, *readers):
            t.join(timeout=60)
    # The same processes serve again: a read now answers 200.
    after = Ledger()
    Submitter(stack, "postgres", after).read()
    stack.wait_matched("postgres", timeout=300)
    left_for_sweep = stack.pending("postgres")
    stack.wait_idle(timeout=300)
    stack.sweep()
    stack.wait_idle()
    owed_emails = stack.sweep_emails()  # as the beat does every minute
    result = tally(stack, "postgres", rows, ledger)

    print(
        report(
            "PostgreSQL restarted under traffic",
            [
                *injected,
                f"reads after recovery: {dict(after.reads)}; gunicorn pids unchanged: "
                f"{(stack.web.proc.pid, stack.web.children()) == web_pids}; worker pids "
                f"unchanged: {(stack.worker.proc.pid, stack.worker.children()) == worker_pids}",
                f"left for the sweep: {left_for_sweep}",
                f"e-mails still owed, sent by the outbox sweep: {owed_emails}",
            ],
            ledger,
            result,
            time.monotonic() - started,
        )
    )
    assert len(injected) == 2  # both faults came while the clients were working
    assert ledger.refused_requests > 0  # the outage was seen by the clients...
    assert ledger.unclean == [] and ledger.hung == 0  # ...and every refusal was a clean 503
    assert after.reads == {"200": 2}
    # Recovered without restarting anything: the same gunicorn workers and Celery pool.
    assert (stack.web.proc.pid, stack.web.children()) == web_pids
    assert (stack.worker.proc.pid, stack.worker.children()) == worker_pids
    assert ledger.row_errors == [] and ledger.duplicates_unexpected == 0
    assert len(ledger.accepted) == n  # every refused submission was retried and accepted
    assert (result.rows_in_db, result.lost, result.duplicates, result.pending) == (n, 0, 0, 0)
    assert result.matches == result.expected and result.phantom == 0
    # One e-mail per notice, never twice: the e-mail task retries through the outage, and
    # the outbox sweep sends whatever it gave up on.
    assert result.emails == result.notices
    assert stack.query("SELECT count(*) FROM sharing_notification WHERE email_due")[0][0] == 0
