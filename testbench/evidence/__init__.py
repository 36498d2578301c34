"""Evidence: aggregate results of twin and validation runs, kept in MLflow.

``writer`` logs runs (inside the lake boundary); ``reader`` is all the
dashboard may use. Both talk to MLflow through ``MlflowClient`` with an
explicit tracking URI, never through MLflow's global state.
"""

from testbench.evidence.reader import EvidenceRun, list_runs
from testbench.evidence.writer import EvidenceWriter, experiment_name

__all__ = ["EvidenceRun", "EvidenceWriter", "experiment_name", "list_runs"]
