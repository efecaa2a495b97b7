"""A Celery worker SIGKILLed in the middle of a batch: the batch finishes, nothing twice.

Tasks are acknowledged late (`acks_late`, `reject_on_worker_lost`). Two kills:

1. one prefork pool process, mid-task: the worker sees it die and puts the task back at once;
2. the whole worker (main process and pool), with tasks taken but unacknowledged: Redis hands
   them out again after the visibility timeout, to the worker started in its place.

The batch must finish through redelivery alone (nothing left for the sweep), and the matches'
unique constraint must keep a re-run task from storing anything twice.
"""

from __future__ import annotations

import os
import signal
import time

from .harness import (
    VISIBILITY_TIMEOUT,
    Ledger,
    Submitter,
    generate_rows,
    report,
    split_batches,
    submissions,
    tally,
    wait_for,
)

LOST = "Task handler raised error: WorkerLostError"  # the worker's log line per lost task


def test_a_worker_killed_mid_batch_finishes_it_after_a_restart_without_duplicates(stack):
    n = submissions()
    rows = generate_rows(n, seed=2)
    ledger = Ledger()
    client = Submitter(stack, "worker", ledger)
    started = time.monotonic()

    # Queue the whole batch first (small tasks: many are in flight when the kills come).
    stack.worker.stop()
    client.submit_all(split_batches(rows, batch=max(5, n // 200), single_share=0.02))
    queued_tasks = int(stack.redis.command("LLEN", "celery"))
    stack.start_worker()

    wait_for(lambda: stack.pending("worker") < 0.9 * n, timeout=120, what="matching to start")
    # Kill pool processes until one dies in the middle of a task (an idle one dies harmlessly:
    # the pool replaces it). The worker reports the lost task and puts it back.
    pending_at_child_kill = stack.pending("worker")
    log_start = stack.worker.log.stat().st_size
    child_kills = 0
    while child_kills < 20 and stack.pending("worker") > 0.7 * n:
        pool = stack.worker.children()
        if pool:
            os.kill(pool[child_kills % len(pool)], signal.SIGKILL)
            child_kills += 1
        time.sleep(0.3)
        if LOST in stack.worker.log.read_text(errors="replace")[log_start:]:
            break
    lost_tasks = stack.worker.log.read_text(errors="replace")[log_start:].count(LOST)

    wait_for(lambda: stack.pending("worker") < 0.6 * n, timeout=180, what="matching to go on")
    pending_at_worker_kill = stack.pending("worker")
    unacked_at_kill = int(stack.redis.command("HLEN", "unacked"))
    killed_at = time.monotonic()
    stack.worker.kill()  # SIGKILL to the main process and the pool: nothing acknowledged
    # A new worker gets the unacknowledged tasks back once the visibility timeout has passed.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    stack.start_worker()
    stack.wait_matched("worker", timeout=180)
    left_for_sweep = stack.pending("worker")
    stack.wait_idle()
    stack.sweep()
    stack.wait_idle()
    owed_emails = stack.sweep_emails()  # as the beat does every minute
    result = tally(stack, "worker", rows, ledger)

    print(
        report(
            "Celery worker SIGKILLed in the middle of a batch",
            [
                f"{queued_tasks} match tasks queued for {n} rows, then the worker started",
                f"{child_kills} SIGKILL(s) to pool processes from {pending_at_child_kill} rows "
                f"pending: {lost_tasks} task(s) killed mid-run and put back (WorkerLostError)",
                f"SIGKILL to the whole worker with {pending_at_worker_kill} rows pending and "
                f"{unacked_at_kill} tasks taken but unacknowledged; new worker after the "
                f"{VISIBILITY_TIMEOUT} s visibility timeout",
                f"left for the sweep after redelivery: {left_for_sweep}",
                f"e-mails still owed, sent by the outbox sweep: {owed_emails}",
            ],
            ledger,
            result,
            time.monotonic() - started,
        )
    )
    # The kills really came in the middle of the batch, and one in the middle of a task.
    assert lost_tasks >= 1 and 0 < pending_at_worker_kill < n
    assert ledger.refused_requests == 0 and len(ledger.accepted) == n
    assert left_for_sweep == 0  # redelivery alone finished the batch
    assert (result.rows_in_db, result.lost, result.duplicates, result.pending) == (n, 0, 0, 0)
    assert result.matches == result.expected and result.phantom == 0
    # No e-mail lost: a task killed before its send left the notice owed (its row lock died
    # with it). One killed between its send and its commit would mail twice (at least once).
    assert stack.query("SELECT count(*) FROM sharing_notification WHERE email_due")[0][0] == 0
    assert result.emails >= result.notices
