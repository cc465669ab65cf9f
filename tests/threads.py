"""Threads for the concurrency tests (PostgreSQL: real concurrent connections).

Django opens one database connection per thread; every thread started here closes its own
when it ends (or the test database could not be flushed or dropped), and hands what it
returned or raised back to the test thread, where the assertions are. Nothing here waits a
fixed time: threads start together at a barrier, wait for each other on events, and a
thread still running after `TIMEOUT` seconds is a hang, reported as a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction

TIMEOUT = 60.0  # seconds


@dataclass(frozen=True)
class Outcome:
    """What a callable did in its thread: returned `value`, or raised `error`."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def result(self) -> Any:
        """The value returned, or the exception raised."""
        return self.value if self.error is None else self.error

    def get(self) -> Any:
        """The value returned; the exception raised is raised again in the test thread."""
        if self.error is not None:
            raise self.error
        return self.value


def errors_of(outcomes: Iterable[Outcome]) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None]


class Background:
    """`fn()` running in a thread of its own, with its own connection (closed at the end)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn
        self._outcome: Outcome | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = Outcome(value=self._fn())
        except BaseException as exc:  # handed to the test thread by join()
            self._outcome = Outcome(error=exc)
        finally:
            connections.close_all()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def done(self) -> bool:
        """Whether `fn` has returned or raised."""
        return self._outcome is not None

    def join(self, timeout: float = TIMEOUT) -> Outcome:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"the thread still runs after {timeout} s")
        assert self._outcome is not None
        return self._outcome


def run_concurrently(*callables: Callable[[], Any], timeout: float = TIMEOUT) -> list[Outcome]:
    """Run the callables at the same moment, each in its own thread (a barrier releases them
    together), and return their outcomes in the order given."""
    barrier = threading.Barrier(len(callables), timeout=timeout)

    def together(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            barrier.wait()
            return fn()

        return run

    threads = [Background(together(fn)) for fn in callables]
    return [thread.join(timeout) for thread in threads]


class HeldOpen:
    """`with HeldOpen(fn) as held:` runs `fn()` inside a transaction of another connection
    and keeps that transaction open (its locks held, its writes uncommitted) for the body
    of the `with` block; it commits when the block ends. `held.value` is what `fn` returned.
    An error in the thread is raised in the test thread, on entering or on leaving."""

    def __init__(self, fn: Callable[[], Any], *, timeout: float = TIMEOUT) -> None:
        self.fn = fn
        self.timeout = timeout
        self.value: Any = None
        self.release = threading.Event()
        self._held = threading.Event()
        self._holding = False
        self.thread: Background | None = None

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.value = self.fn()
                self._holding = True
                self._held.set()
                if not self.release.wait(self.timeout):
                    raise AssertionError("the test never released the transaction held open")
        finally:
            self._held.set()  # also when fn failed: the test thread does not wait in vain

    def __enter__(self) -> HeldOpen:
        self.thread = Background(self._run)
        if not self._held.wait(self.timeout):
            raise AssertionError(f"fn() did not return within {self.timeout} s")
        if not self._holding:
            self.thread.join(self.timeout).get()  # fn() failed: its error, here
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        assert self.thread is not None
        outcome = self.thread.join(self.timeout)
        if exc_info[0] is None:
            outcome.get()


def wait_until(condition: Callable[[], bool], *, timeout: float = TIMEOUT) -> bool:
    """Poll `condition` (e.g. "a connection waits for a lock", read from pg_locks) until it
    holds; False if it still does not after `timeout` seconds. For states no event reports."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: waits 10 ms between two looks
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.01)
    return True
