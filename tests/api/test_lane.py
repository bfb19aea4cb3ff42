"""The lane: at most N pipeline calls at once, a long call stands aside for short ones at its
deadline checks, and no call waits past its deadline. Threads doing timed busy work stand in
for pipeline calls here (the lane is what is tested); the real pipeline beside a 199,000-
character transcript is in test_connections.py."""

from __future__ import annotations

import threading
import time

import pytest

from scribeplugin.api import lane as lane_module
from scribeplugin.api.lane import Lane
from scribeplugin.deadline import Deadline
from scribeplugin.errors import DeadlineExceededError


def work(
    lane: Lane, seconds: float, deadline_s: float, log: list[tuple[str, float]], name: str
) -> None:
    """A call: take a turn, then 'units' of 5 ms of work, a deadline check after each."""
    deadline = Deadline(deadline_s)
    with lane.turn(deadline) as turn:
        deadline.on_check = turn.step_aside
        log.append((f"{name} start", time.monotonic()))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            spin = time.monotonic() + 0.005
            while time.monotonic() < spin:
                pass
            log.append((f"{name} unit", time.monotonic()))
            deadline.check("in a unit")
        log.append((f"{name} end", time.monotonic()))


def test_a_long_call_stands_aside_while_a_short_one_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lane_module, "PATIENCE_S", 0.3)
    lane = Lane(slots=4)
    log: list[tuple[str, float]] = []
    long_call = threading.Thread(target=work, args=(lane, 2.0, 30, log, "long"))
    long_call.start()
    time.sleep(0.8)  # the long call is past its patience
    short = threading.Thread(target=work, args=(lane, 0.2, 30, log, "short"))
    short.start()
    short.join()
    long_call.join()
    t = {name: at for name, at in log if not name.endswith("unit")}
    assert t["long end"] > t["short end"]
    # while the short call ran, the long one did no unit of work, bar the one it was in
    during = [
        at for name, at in log if name == "long unit" and t["short start"] < at < t["short end"]
    ]
    assert len(during) <= 2, during
    long_units = [at for name, at in log if name == "long unit" and at > t["short end"]]
    assert long_units  # and it went on afterwards
    assert lane.running == 0


def test_short_calls_run_side_by_side_up_to_the_slots() -> None:
    lane = Lane(slots=2)
    log: list[tuple[str, float]] = []
    calls = [threading.Thread(target=work, args=(lane, 0.3, 30, log, f"c{i}")) for i in range(4)]
    for c in calls:
        c.start()
    for c in calls:
        c.join()
    events = sorted(
        (at, +1 if name.endswith("start") else -1) for name, at in log if not name.endswith("unit")
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 2
    assert lane.running == 0


def test_no_call_waits_past_its_deadline() -> None:
    lane = Lane(slots=1)
    log: list[tuple[str, float]] = []
    holder = threading.Thread(target=work, args=(lane, 1.0, 30, log, "holder"))
    holder.start()
    time.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="waiting for a slot"):
        work(lane, 0.1, 0.2, log, "late")
    assert time.monotonic() - started < 0.2 + 0.5
    holder.join()
    assert lane.running == 0
    work(lane, 0.05, 5, log, "after")  # the slot is free again


def test_a_long_call_standing_aside_stops_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lane_module, "PATIENCE_S", 0.3)
    lane = Lane(slots=4)
    log: list[tuple[str, float]] = []
    errors: list[BaseException] = []

    def long_call() -> None:
        try:
            work(lane, 10.0, 2.0, log, "long")
        except DeadlineExceededError as exc:
            errors.append(exc)

    t = threading.Thread(target=long_call)
    t.start()
    time.sleep(0.6)
    # short calls, each under the patience, overlapping, until past the long call's deadline
    shorts = []
    for _ in range(12):
        shorts.append(threading.Thread(target=work, args=(lane, 0.25, 30, log, "short")))
        shorts[-1].start()
        time.sleep(0.15)
    for s in shorts:
        s.join()
    t.join()
    assert len(errors) == 1 and "standing aside" in str(errors[0])
    assert lane.running == 0


def test_a_long_call_stands_aside_while_other_requests_are_in_flight() -> None:
    """The input guard counts requests in flight; a long call (here by its length) waits for
    those outside any turn, not for its own request."""
    lane = Lane(slots=4)
    log: list[tuple[str, float]] = []
    lane.request_started()  # the long call's own request
    lane.request_started()  # another request, being validated or answered
    deadline = Deadline(30)
    with lane.turn(deadline, chars=lane_module.LONG_CHARS + 1) as turn:
        threading.Timer(0.5, lane.request_ended).start()  # the other request is done
        started = time.monotonic()
        turn.step_aside(deadline)
        waited = time.monotonic() - started
        log.append(("long unit", time.monotonic()))
        started = time.monotonic()
        turn.step_aside(deadline)  # only its own request is left: no wait
        assert time.monotonic() - started < 0.05
    lane.request_ended()
    assert 0.4 <= waited < 5, waited
    assert lane.running == 0
