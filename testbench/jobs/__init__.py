"""Jobs: work that runs inside the lake boundary, serially or on Ray."""

from testbench.jobs.executor import Executor, RayExecutor, SerialExecutor
from testbench.jobs.training import TrainResult, train_and_score

__all__ = ["Executor", "RayExecutor", "SerialExecutor", "TrainResult", "train_and_score"]
