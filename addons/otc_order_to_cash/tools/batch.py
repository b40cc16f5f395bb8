"""Batch jobs that survive concurrent writers.

A scheduled job that writes thousands of rows meets other transactions:
an accountant posting a payment, another job. Under Odoo's REPEATABLE READ a
row written by a transaction that committed after ours started raises a
serialization failure; ``FOR UPDATE NOWAIT`` raises "lock not available";
two writers may deadlock. Dropping the whole batch for that loses a
thousand lines of work for one busy row.

:func:`run_batches` processes a list of work items in batches and, when a
batch meets such an error, rolls it back and retries it in halves, down to
single items; an item that still fails is recorded (logged, handed to
``on_failure``) and the job carries on with the next one. It commits after
every batch and reports progress with ``ir.cron._notify_progress`` when run
from a scheduled action, so a run cut short keeps what it did.

Two ways of rolling back:

* committing (scheduled runs): every batch starts in a fresh transaction, so
  a failed unit is rolled back entirely and its halves run in new
  transactions, with a new snapshot where the concurrent write is visible;
  a single item is retried a few times this way before it is given up.
* not committing (a button, a test): each unit runs in a savepoint; a
  concurrent write stays invisible to our snapshot, so the busy item fails
  again and is recorded, while the rest of its batch goes through.

Errors other than ``split_on`` are not caught: they roll the unit back and
propagate, as they did before (pass ``split_on=(Exception,)`` to isolate any
failing item instead).
"""

import logging
import random
import threading
import time
from dataclasses import dataclass, field

from psycopg2 import errors

_logger = logging.getLogger(__name__)

#: what another transaction can cause, and a later attempt can get past
CONCURRENCY_ERRORS = (
    errors.SerializationFailure,
    errors.LockNotAvailable,
    errors.DeadlockDetected,
)
#: attempts of a single item in fresh transactions (committing mode only)
SINGLE_ITEM_TRIES = 3


@dataclass
class BatchReport:
    """What a run did: items done, items given up with their error."""

    done: int = 0
    retried: int = 0
    failed: list = field(default_factory=list)

    @property
    def failed_items(self):
        return [item for item, _error in self.failed]


def in_cron(env):
    """Whether this runs inside a scheduled action (and not inside a test)."""
    return bool(env.context.get("ir_cron_progress_id")) and not getattr(
        threading.current_thread(), "testing", False
    )


def run_batches(
    env,
    items,
    process,
    *,
    batch_size,
    commit=None,
    split_on=CONCURRENCY_ERRORS,
    on_failure=None,
    label="batch job",
):
    """Run ``process(chunk)`` over ``items`` in batches; return a BatchReport.

    :param env: the environment whose cursor is used (and committed)
    :param items: a list of work items (ids, tuples, records...)
    :param process: callable taking a list of items and doing their work;
        it may be called again on a part of a batch after a rollback, so it
        must read what it needs itself (or from data a rollback cannot stale)
    :param batch_size: items per batch (and per commit)
    :param commit: commit after each batch; by default when run from a
        scheduled action (``ir_cron_progress_id`` in the context) outside tests
    :param split_on: exception classes that make a unit retried in halves
    :param on_failure: ``on_failure(item, error)`` for an item given up; what
        it writes is kept (committed with the next batch)
    :param label: names the job in the log
    """
    items = list(items)
    if commit is None:
        commit = in_cron(env)
    report = BatchReport()
    total = len(items)
    if commit:
        # Each batch starts from a committed state: a rollback then loses
        # nothing but the unit that failed.
        env.cr.commit()  # pylint: disable=invalid-commit
    for start in range(0, total, batch_size):
        batch = items[start : start + batch_size]
        _run_unit(env, batch, process, commit, split_on, on_failure, label, report)
        processed = start + len(batch)
        env["ir.cron"]._notify_progress(done=processed, remaining=total - processed)
        if commit:
            env.cr.commit()  # pylint: disable=invalid-commit
    if report.failed:
        _logger.warning(
            "%s: %d of %d items failed and were skipped",
            label,
            len(report.failed),
            total,
        )
    return report


def _run_unit(env, unit, process, commit, split_on, on_failure, label, report):
    pending = [unit]
    while pending:
        part = pending.pop(0)
        error = _attempt(env, part, process, commit, split_on)
        if error is None:
            report.done += len(part)
            continue
        if len(part) > 1:
            report.retried += 1
            middle = len(part) // 2
            # halves first, in order, before what was pending already
            pending[:0] = [part[:middle], part[middle:]]
            continue
        tries = 1
        while (
            error is not None
            and commit
            and isinstance(error, CONCURRENCY_ERRORS)
            and tries < SINGLE_ITEM_TRIES
        ):
            # A fresh transaction sees the concurrent write: wait a little for
            # the other writer to finish, then try again.
            time.sleep(random.uniform(0.0, 0.1 * 2**tries))
            tries += 1
            report.retried += 1
            error = _attempt(env, part, process, commit, split_on)
        if error is None:
            report.done += 1
            continue
        _logger.warning("%s: item %r skipped: %s", label, part[0], error)
        report.failed.append((part[0], error))
        if on_failure:
            on_failure(part[0], error)


def _attempt(env, part, process, commit, split_on):
    """Process one unit; return the error that rolled it back, if any."""
    if commit:
        try:
            process(part)
            env.flush_all()
        except split_on as error:
            env.cr.rollback()
            return error
        env.cr.commit()  # pylint: disable=invalid-commit
        return None
    try:
        with env.cr.savepoint(flush=True):
            process(part)
            env.flush_all()
    except split_on as error:
        return error
    return None
