"""A fake tenant (home, key, lake file) in the trusted process's environment, a cohort with
values easy to spot in any text, and a helper that runs a model file in the real sandbox."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from testbench.jobs.sandbox import (
    BINARY,
    FitOutcome,
    FitRequest,
    ImportanceRequest,
    MembershipRequest,
    ModelCode,
    SandboxLimits,
    run_sandboxed,
)
from testkit.sandbox import require_sandbox

N_TRAIN, N_TEST = 300, 120


@dataclass(frozen=True)
class Tenant:
    """A fake tenant: random key bytes, its key file and a lake file under TESTBENCH_HOME."""

    home: Path  # TESTBENCH_HOME
    key: bytes  # random bytes made here; no real key
    key_file: Path  # home/keys/t.key
    lake: Path  # home/tenants/t/lake.duckdb (random bytes standing in for a lake)

    def secrets(self) -> list[str]:
        """Spellings of the key that must never appear anywhere."""
        return [self.key.hex(), self.key.hex().upper()]


@dataclass(frozen=True)
class Cohort:
    """Training and test rows; values are six-decimal floats and coded strings."""

    train: pd.DataFrame  # features, indexed by fake unit ids
    train_y: np.ndarray  # outcome 0/1
    test: pd.DataFrame  # features
    test_y: np.ndarray  # outcome as float (as inspect_task passes it)

    def tokens(self) -> list[str]:
        """Textual forms of cohort values and unit ids that must not leave the sandbox."""
        head = self.train.head(20)
        return (
            [f"{v:.6f}" for v in head["weight"]]
            + [str(v) for v in head["kommune"]]
            + [str(i) for i in head.index]
        )


@pytest.fixture(scope="session")
def sandbox() -> None:
    """Skip on a machine without bubblewrap; fail where it is installed but cannot start."""
    require_sandbox()


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    home = tmp_path / "home"
    key = os.urandom(32)
    key_file = home / "keys" / "t.key"
    lake = home / "tenants" / "t" / "lake.duckdb"
    for path, data in ((key_file, key.hex().encode()), (lake, os.urandom(256))):
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    monkeypatch.setenv("TESTBENCH_HOME", str(home))
    monkeypatch.setenv("TESTBENCH_KEY_T", key.hex())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home}/mlflow.db")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    return Tenant(home, key, key_file, lake)


def make_cohort(seed: int = 0) -> Cohort:
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_TEST
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 95, n).astype(float),
            "weight": np.round(rng.uniform(40, 120, n), 6),
            "kommune": pd.Categorical(rng.choice(["K7731", "K4418", "K9902"], n)),
        },
        index=[f"pid{900000 + i}" for i in range(n)],
    )
    logit = 0.06 * (frame["age"] - 60) + 0.03 * (frame["weight"] - 80)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64).to_numpy()
    return Cohort(
        frame.iloc[:N_TRAIN], y[:N_TRAIN], frame.iloc[N_TRAIN:], y[N_TRAIN:].astype(float)
    )


@pytest.fixture(scope="session")
def cohort() -> Cohort:
    return make_cohort()


def _binary_request(
    cohort: Cohort, source: str, *, inspect: bool = False, export_model: bool = False
) -> FitRequest:
    """What the job asks of a final TRTR fit: predict the test rows, optionally inspect."""
    return FitRequest(
        code=ModelCode(source),
        task=BINARY,
        train_x=cohort.train,
        train_y=cohort.train_y,
        predict={"test": cohort.test},
        importance=ImportanceRequest("test", cohort.test_y, seed=7) if inspect else None,
        membership=MembershipRequest("test", cohort.test_y, seed=7) if inspect else None,
        export_model=export_model,
    )


@pytest.fixture
def run_model(sandbox: None, cohort: Cohort, tmp_path: Path) -> Callable[..., FitOutcome]:
    """Run a model file in the sandbox on the cohort; its job log is tmp_path/job.log."""

    def run(source: str, limits: SandboxLimits | None = None, **options: bool) -> FitOutcome:
        request = _binary_request(cohort, source, **options)
        return run_sandboxed(request, limits or SandboxLimits(), tmp_path / "job.log")

    return run


def _assert_nothing_leaks(texts: list[str], tenant: Tenant | None, cohort: Cohort) -> None:
    """No key spelling and no cohort value (or unit id) in any of ``texts``."""
    forbidden = cohort.tokens() + (tenant.secrets() if tenant else [])
    for text in texts:
        found = [token for token in forbidden if token in text]
        assert not found, f"leaked {found[:3]} in {text[:200]!r}"


def _outcome_text(outcome: FitOutcome) -> str:
    """Everything in an outcome but the model file, as text."""
    return repr(
        (
            outcome.importance,
            outcome.membership,
            outcome.estimator,
            outcome.model_types,
            {name: p.tolist() for name, p in outcome.predictions.items()},
        )
    )


@pytest.fixture(scope="session")
def binary_request() -> Callable[..., FitRequest]:
    """``binary_request(cohort, source, inspect=False, export_model=False)``."""
    return _binary_request


@pytest.fixture(scope="session")
def assert_nothing_leaks() -> Callable[[list[str], Tenant | None, Cohort], None]:
    """``assert_nothing_leaks(texts, tenant, cohort)``: no key spelling, no cohort value."""
    return _assert_nothing_leaks


@pytest.fixture(scope="session")
def outcome_text() -> Callable[[FitOutcome], str]:
    """``outcome_text(outcome)``: an outcome but its model file, as text."""
    return _outcome_text
