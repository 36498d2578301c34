"""What the trusted side asks of the SME's model code, and the plain data it gets back.

A :class:`FitRequest` holds features and targets only (no unit ids, no index): it is all
the model code ever sees. A :class:`FitOutcome` holds numbers, short checked names and
at most a skops file, never a Python object made by the model code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed fit (rlimits of the process, plus a wall clock)."""

    memory_mb: int = 8192  # address space (RLIMIT_AS); MemoryError past it
    cpu_seconds: int = 3600  # CPU time (RLIMIT_CPU); SIGXCPU past it
    wall_seconds: float = 3600.0  # wall clock; the process group is killed past it
    # RLIMIT_NPROC counts every process and thread of the launching user on the host (root is
    # exempt): keep it above what that user runs. The seccomp filter stops subprocesses.
    processes: int = 4096
    file_size_mb: int = 1024  # largest file it may write (RLIMIT_FSIZE), its tmpfs, its output


@dataclass(frozen=True)
class ModelCode:
    """The SME's model file: its text, its name and the function that builds the estimator."""

    source: str  # the file's text
    filename: str = "model.py"  # its name (tracebacks and messages use it; no directory)
    function: str = "build_model"  # called with no arguments; returns an unfitted estimator


@dataclass(frozen=True)
class ImportanceRequest:
    """Permutation importance of the fitted model on one of the predicted sets."""

    on: str  # name of a set in FitRequest.predict
    y: np.ndarray  # its observed outcome (float, as inspect_task passes it)
    seed: int  # seeds the permutations


@dataclass(frozen=True)
class MembershipRequest:
    """The loss-threshold membership attack: training rows against one predicted set."""

    on: str  # name of a set in FitRequest.predict (rows the model never saw)
    y: np.ndarray  # their observed outcome
    seed: int  # seeds the attack's balanced samples


@dataclass(frozen=True)
class FitRequest:
    """Fit the SME's model once and compute what the job needs from it."""

    code: ModelCode  # the model file
    task: str  # BINARY or REGRESSION
    train_x: pd.DataFrame  # features of the training rows (the index is not sent)
    train_y: np.ndarray  # their outcome, in the dtype the job fits on
    predict: dict[str, pd.DataFrame] = field(default_factory=dict)  # named sets to predict
    importance: ImportanceRequest | None = None  # permutation importance, when wanted
    membership: MembershipRequest | None = None  # membership attack, when wanted
    export_model: bool = False  # hand the fitted model back as a skops file


@dataclass(frozen=True)
class FitOutcome:
    """Plain data from one fit; nothing in it was unpickled or imported from the SME."""

    predictions: dict[str, np.ndarray]  # per predicted set: P(1) (binary) or the value, float64
    importance: list[dict[str, float | str]] | None  # feature, mean, sd; most important first
    membership: dict[str, float] | None  # "auc" and "advantage" of the attack, when asked
    estimator: str  # class name of the model (its last step for a pipeline), or "custom"
    instance_based: bool  # k-NN, SVM and the like: never released
    model_file: bytes | None  # the fitted model as a skops file, when asked (never loaded here)
    # Every type and function the skops file names, sorted; for the operator only (a class
    # the model file defines names itself).
    model_types: list[str]
    seconds: float  # time of this fit and its inspection (in the sandbox: its runner's clock)
