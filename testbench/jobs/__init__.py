"""Jobs: work that runs inside the lake boundary, serially or on Ray."""

from testbench.jobs.executor import Executor, RayExecutor, SerialExecutor, TaskFailed

__all__ = ["Executor", "RayExecutor", "SerialExecutor", "TaskFailed"]
