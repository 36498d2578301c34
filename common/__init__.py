"""Shared building blocks below every other package: how a batch of tasks is run.

``generators``, ``validation`` and ``testbench`` may import ``common``; ``common`` imports
none of them (it is the bottom of the dependency direction).
"""

from common.executor import Executor, RayExecutor, SerialExecutor, TaskFailed

__all__ = ["Executor", "RayExecutor", "SerialExecutor", "TaskFailed"]
