"""A request's deadline, checked between steps of work so a request past it stops working.

A timeout in the API answers the caller at once, but Python cannot stop a thread from outside:
the pipeline would go on holding a core for as long as the transcript takes. So the pipeline
checks a :class:`Deadline` between its steps and after every unit of extraction, and raises
:class:`~scribeplugin.errors.DeadlineExceededError` once it has passed. The time a request holds a
core is then bounded by its timeout plus one step that cannot be cut (one embedding call, one
unit of extraction: milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from scribeplugin.errors import DeadlineExceededError


class Deadline:
    """A point in time (``time.monotonic``) after which the work of one request stops.

    ``on_check``, when set, runs at every check that finds time left (the API's lane uses it
    to let short requests go first)."""

    __slots__ = ("at", "on_check", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.on_check: Callable[[Deadline], None] | None = None

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self, step: str) -> None:
        """Raise DeadlineExceededError once the deadline has passed (``step``: where work was)."""
        if time.monotonic() >= self.at:
            raise self.error(step)
        if self.on_check is not None:
            self.on_check(self)

    def error(self, step: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"stopped {step}: the request ran past its {self.seconds:g} s deadline "
            "(SCRIBE_REQUEST_TIMEOUT_S); send a shorter transcript or raise the limit"
        )


def check(deadline: Deadline | None, step: str) -> None:
    """``deadline.check(step)`` when there is a deadline."""
    if deadline is not None:
        deadline.check(step)
