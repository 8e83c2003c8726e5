"""Group commit of submissions: the ones that arrive while a list is committing go in the next list.

At the deadline rush each submission on its own costs a round trip, a statement and a commit that
waits for the write-ahead log to reach the disk; in a list of fifty, it costs a fiftieth of that.
Nothing waits on a timer: when the database is quick the lists are short (one submission alone is
sent at once), and when it is slow more gather behind it, which is when sharing a commit pays.
A receipt still means committed: every waiting submission is answered after its list's commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
from prometheus_client import Histogram

from exam.attempts import Submission, submit_together

LIST_SIZE = Histogram("exam_submission_list_size", "Submissions committed together in one statement",
                      buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
LIST_SECONDS = Histogram("exam_submission_list_seconds", "Time to get a connection for a list of submissions"
                         " and to commit it", ["stage"],
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


class GroupCommit:
    def __init__(self, pool: Callable[[], asyncpg.Pool], grace_s: int, list_max: int, lists_at_once: int):
        self._pool = pool  # the service's, once it has started
        self._grace_s = grace_s
        self._list_max = list_max
        self._lists_at_once = lists_at_once
        self._waiting: list[tuple[Submission, asyncio.Future[asyncpg.Record | None]]] = []
        self._committing = 0
        self._tasks: set[asyncio.Task[None]] = set()  # held, so that a running list is never collected

    async def submit(self, submission: Submission) -> asyncpg.Record | None:
        """The finished attempt once committed, or None where the full path must find out why not.
        Raises what the database raised (the caller's full path then meets it too)."""
        answer: asyncio.Future[asyncpg.Record | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((submission, answer))
        if self._committing < self._lists_at_once:
            self._committing += 1
            task = asyncio.create_task(self._commit_while_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    async def _commit_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:self._list_max], self._waiting[self._list_max:]
                LIST_SIZE.observe(len(batch))
                try:
                    asked = time.perf_counter()
                    async with self._pool().acquire() as conn:
                        got = time.perf_counter()
                        LIST_SECONDS.labels("connection").observe(got - asked)
                        finished = await submit_together(conn, [s for s, _ in batch], self._grace_s)
                        LIST_SECONDS.labels("statement").observe(time.perf_counter() - got)
                except Exception as exc:  # every waiter gets it, none is left hanging
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), row in zip(batch, finished, strict=True):
                    if not answer.done():  # its request may have been cancelled (the client went away)
                        answer.set_result(row)
        finally:
            self._committing -= 1
