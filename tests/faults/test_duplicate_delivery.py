"""The same task delivered twice: no duplicate match, no second notice, no second e-mail.

Three ways a task arrives again in real life, all injected here:

1. the same broker message twice, side by side in the queue (a redelivery racing the original:
   the two copies run at the same time on the worker's two pool processes);
2. `apply_async` twice with the same arguments and task id (a client retrying its publish);
3. a task that already ran, delivered again later (and the sweep on top).
"""

from __future__ import annotations

import re
import time

from .harness import Ledger, Submitter, generate_rows, report, split_batches, submissions, tally


def test_the_same_task_delivered_twice_matches_and_notifies_once(stack):
    n = submissions()
    rows = generate_rows(n, seed=3)
    ledger = Ledger()
    client = Submitter(stack, "twice", ledger)
    started = time.monotonic()
    log_start = stack.worker.log.stat().st_size

    # 1. Every queued message twice, each copy next to its original.
    stack.worker.stop()
    client.submit_all(split_batches(rows, batch=max(10, n // 50), single_share=0.01))
    messages = stack.redis.command("LRANGE", "celery", "0", "-1")
    stack.redis.command("DEL", "celery")
    for message in reversed(messages):  # the worker pops from the right: keep the order
        stack.redis.command("LPUSH", "celery", message, message)
    copied = len(messages)

    # 2. One more task for a slice of the rows, published twice with the same id.
    ws = stack.seed["scenarios"]["twice"]["workspace_id"]
    ids = [
        pk
        for (pk,) in stack.query(
            "SELECT id FROM indicators_ipreport WHERE workspace_id = %s ORDER BY id", [ws]
        )
    ]
    for _ in range(2):
        stack.publish("indicators.tasks.match_reports_task", [ids[: n // 2]], task_id="twice-1")
    stack.start_worker()
    stack.wait_matched("twice")
    stack.wait_idle()
    first = tally(stack, "twice", rows, ledger)

    # 3. Already processed: the same ids again (twice), and the sweep.
    for _ in range(2):
        stack.publish("indicators.tasks.match_reports_task", [ids], task_id="twice-2")
    stack.sweep()
    stack.wait_idle()
    result = tally(stack, "twice", rows, ledger)

    log = stack.worker.log.read_text(errors="replace")[log_start:]
    runs = re.findall(r"match_reports_task\[([^\]]+)\] succeeded", log)
    ran_twice = sum(1 for task_id in set(runs) if runs.count(task_id) > 1)
    print(
        report(
            "the same task delivered twice",
            [
                f"{copied} queued match messages each pushed twice, side by side "
                f"({ran_twice} task ids ran more than once)",
                f"apply_async twice with the same id over {n // 2} reports",
                f"after matching: {first.matches} matches, {first.notices} notices, "
                f"{first.emails} e-mails; then all {len(ids)} reports redelivered twice "
                "and the sweep run",
            ],
            ledger,
            result,
            time.monotonic() - started,
        )
    )
    assert ran_twice >= copied  # the copies really were delivered and run
    assert ledger.refused_requests == 0 and len(ledger.accepted) == n
    assert (result.rows_in_db, result.lost, result.duplicates, result.pending) == (n, 0, 0, 0)
    assert result.matches == result.expected and result.phantom == 0
    # Redelivering processed tasks changed nothing.
    assert (result.matches, result.notices, result.emails) == (
        first.matches,
        first.notices,
        first.emails,
    )
    assert result.emails == result.notices  # one e-mail per notice: none sent twice
