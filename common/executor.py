"""Where a batch of independent tasks runs: in this process, or on Ray.

Core code calls ``executor.map(fn, items)`` and never imports Ray, so the same
job runs in a unit test, on a laptop and on a cluster. Tasks must be pure
functions of their arguments (idempotent): Ray may retry them after a worker
dies, and a retry must give the same result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class TaskFailed(Exception):
    """A task of a job failed for good (after Ray's retries); the job has no result.

    Not a ``TestbenchError`` (``common`` sits below ``testbench``), but the CLI shows it
    as one line all the same.
    """


class Executor(Protocol):
    """Runs ``fn`` on each item, returning results in item order."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...

    def parallelism(self) -> int:
        """How many tasks can run at once (a job that batches work makes this many batches)."""
        ...


class SerialExecutor:
    """Runs tasks one after another in this process (tests, benchmarks' serial peer)."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return [fn(item) for item in items]

    def parallelism(self) -> int:
        """One task at a time."""
        return 1


class RayExecutor:
    """Runs tasks as Ray tasks, on a local Ray or the cluster at ``address``.

    Args:
        address: a Ray cluster address (``RAY_ADDRESS``); None starts a local Ray.
        num_cpus: CPUs for a local Ray (default: all); ignored for a cluster.
        max_retries: retries of a task whose worker died (Ray's own mechanism).
    """

    def __init__(
        self, address: str | None = None, num_cpus: int | None = None, max_retries: int = 3
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.max_retries = max_retries

    def _init(self) -> Any:
        import ray

        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:  # "local": a new Ray of our own, never a cluster someone started on this host
                ray.init(address="local", num_cpus=self.num_cpus, **kwargs)
        return ray

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run every task; a worker that dies is replaced and its task retried by Ray.

        Raises:
            TaskFailed: a task raised (its type only), or its worker kept dying after
                ``max_retries``. An exception whose class sets ``safe_to_show = True`` (the
                test-bench's own errors, whose messages never hold data) is raised as it is.
        """
        ray = self._init()
        remote = ray.remote(max_retries=self.max_retries)(fn)
        refs = [remote.remote(item) for item in items]
        try:
            return list(ray.get(refs))
        except ray.exceptions.RayTaskError as exc:
            _cancel_all(ray, refs)
            cause = exc.cause if exc.cause is not None else exc
            if getattr(cause, "safe_to_show", False):
                raise cause from None  # written to be shown: the caller handles it as its own
            # Anything else may quote data (a library or the SME's code formats its inputs
            # into messages): only its type leaves; the message stays in the worker's log.
            raise TaskFailed(
                f"a {getattr(fn, '__name__', 'job')} task raised {type(cause).__name__}; "
                "its message is in the Ray worker's log (operator only)"
            ) from None
        except ray.exceptions.RayError as exc:
            _cancel_all(ray, refs)
            raise TaskFailed(
                f"a {getattr(fn, '__name__', 'job')} task failed on Ray after "
                f"{self.max_retries} retries ({type(exc).__name__}); see the Ray logs"
            ) from None

    def parallelism(self) -> int:
        """The CPUs of the local Ray or the cluster (starts Ray if needed)."""
        ray = self._init()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def shutdown(self) -> None:
        """Stop a local Ray started by this executor."""
        import ray

        if ray.is_initialized():
            ray.shutdown()


def _cancel_all(ray: Any, refs: list[Any], settle_s: float = 30.0) -> None:
    """Stop the tasks not yet finished, and wait until Ray has recorded each one's end.

    Cancelling is polite (``force=False``: the task gets an interrupt, its worker lives):
    force-cancelling a task whose result is on its way aborts the driver inside Ray's
    core ("Tried to complete task that was not pending", Ray 2.x), which printed a native
    stack trace instead of our one-line error in most runs of tests/common/test_executor.py.
    """
    _, pending = ray.wait(refs, num_returns=len(refs), timeout=0)
    for ref in pending:
        # Finished meanwhile, or its worker is gone: nothing to stop.
        with contextlib.suppress(Exception):
            ray.cancel(ref, force=False)
    if pending:
        ray.wait(pending, num_returns=len(pending), timeout=settle_s)
