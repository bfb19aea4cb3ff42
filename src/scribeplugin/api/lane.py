"""Which pipeline calls of a worker run now: at most ``SCRIBE_MAX_CONCURRENT_SUGGEST``, and the
short ones first.

Every call's work is Python under one interpreter lock, so a call over a very long transcript
running beside a normal one halves the normal one's speed for as long as it runs, however the
operating system shares the cores. So a call over a transcript of more than ``LONG_CHARS``, or
one that has run for more than ``PATIENCE_S``, is *long*, and at each of its deadline checks
(after every unit of extraction, between the steps) it steps aside while anything shorter is
going on: a short call running or waiting for a slot, or any other HTTP request in flight (the
API's input guard counts them once their body is in: a normal request spends part of its time
outside the pipeline, being validated, answered, audited). It gives up its slot, waits until
they are done, and takes a slot again. Short calls never wait for a long one beyond one unit of
its work; a long call under a steady stream of short ones makes progress in the gaps, or stops
at its deadline (504), which is what the deadline is for.

A call waiting for a slot (or standing aside) past its deadline stops with
``DeadlineExceededError``, so a timed-out request never holds a slot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from scribeplugin.deadline import Deadline

PATIENCE_S = 1.0  # a call running longer than this is long: it lets short ones go first
LONG_CHARS = 40_000  # so is a call over a transcript longer than this (about 6,500 words)
_POLL_S = 0.1  # how often a waiting call looks at its deadline


class Turn:
    """One call's place in the lane (its thread holds it while the pipeline runs)."""

    __slots__ = ("lane", "long", "started")

    def __init__(self, lane: Lane, long: bool) -> None:
        self.lane = lane
        self.started = time.monotonic()
        self.long = long

    def step_aside(self, deadline: Deadline) -> None:
        """At a deadline check: a long call waits while short calls run or wait."""
        self.lane._step_aside(self, deadline)


class Lane:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._cond = threading.Condition()
        self._running = 0  # calls holding a slot
        self._turns = 0  # calls in a turn: waiting for a slot, holding one or standing aside
        self._short = 0  # short calls in a turn
        self._requests = 0  # HTTP requests in flight (``request_started``/``request_ended``)

    @property
    def running(self) -> int:
        return self._running

    def request_started(self) -> None:
        with self._cond:
            self._requests += 1

    def request_ended(self) -> None:
        with self._cond:
            self._requests -= 1
            self._cond.notify_all()

    def _others(self) -> int:
        """What a long call stands aside for: short calls in a turn, and requests in flight
        outside any turn (each turn belongs to a request when the API counts requests)."""
        return self._short + max(0, self._requests - self._turns)

    @contextmanager
    def turn(self, deadline: Deadline, chars: int = 0) -> Iterator[Turn]:
        """A slot for the duration of the block (waiting for one at most until the deadline);
        ``chars``: the transcript's length (over LONG_CHARS, the call is long from the start)."""
        long = chars > LONG_CHARS
        with self._cond:
            self._turns += 1
            self._short += 0 if long else 1
            try:
                self._wait(lambda: self._running < self.slots, deadline, "waiting for a slot")
            except BaseException:
                self._turns -= 1
                self._short -= 0 if long else 1
                self._cond.notify_all()
                raise
            self._running += 1
        turn = Turn(self, long)
        try:
            yield turn
        finally:
            with self._cond:
                self._running -= 1
                self._turns -= 1
                if not turn.long:
                    self._short -= 1
                self._cond.notify_all()

    def _step_aside(self, turn: Turn, deadline: Deadline) -> None:
        if not turn.long:
            if time.monotonic() - turn.started < PATIENCE_S:
                return
            with self._cond:
                turn.long = True
                self._short -= 1
                self._cond.notify_all()
        with self._cond:
            if self._others() == 0:
                return
            self._running -= 1
            self._cond.notify_all()
            try:
                self._wait(
                    lambda: self._others() == 0 and self._running < self.slots,
                    deadline,
                    "standing aside for shorter requests",
                )
            finally:
                self._running += 1  # the caller's ``turn`` block gives it back either way

    def _wait(self, ready: Callable[[], bool], deadline: Deadline, what: str) -> None:
        """Wait on the condition (held) until ``ready()``; past the deadline, raise."""
        while not ready():
            remaining = deadline.remaining()
            if remaining <= 0:
                raise deadline.error(what)
            self._cond.wait(timeout=min(_POLL_S, max(remaining, 0.001)))
