"""Hostile model files, run in the real sandbox as an SME would submit them: each attempt is
refused or contained, and no key byte or cohort value reaches the caller."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import testbench
from testbench.jobs.sandbox import (
    FitOutcome,
    SandboxedCodeFailed,
    SandboxLimitExceeded,
    check_model_release,
)

CHECKOUT = Path(testbench.__file__).resolve().parents[1]
PACKAGES = ("testbench", "validation", "common", ".venv")

if TYPE_CHECKING:
    from conftest import Cohort, Tenant

pytestmark = pytest.mark.timeout(120)

# Runs every attempt at import, prints how each ended (to the job log), then builds a
# plain model so the fit itself succeeds.
ATTEMPTS = """\
import os, socket, subprocess
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

ATTEMPTS = [
{attempts}
]
for label, attempt in ATTEMPTS:
    try:
        print("SUCCEEDED", label, attempt())
    except BaseException as exc:
        print("FAILED", label, type(exc).__name__)
print("ENV", sorted(os.environ))


def build_model():
    codes = make_column_transformer((OneHotEncoder(), ["kommune"]), remainder="passthrough")
    return make_pipeline(codes, LogisticRegression())
"""


def _attempts(tenant: Tenant, outside: Path, port: int) -> list[tuple[str, str]]:
    """Every way out an SME might try, as (label, expression) pairs."""
    return [
        ("key file", f"lambda: open({str(tenant.key_file)!r}).read()"),
        ("key variable", "lambda: os.environ['TESTBENCH_KEY_T']"),
        ("home variable", "lambda: os.environ['TESTBENCH_HOME']"),
        ("any key variable", "lambda: [v for k, v in os.environ.items() if 'KEY' in k][0]"),
        ("lake file", f"lambda: open({str(tenant.lake)!r}, 'rb').read(64).hex()"),
        # The checkout's root holds .testbench/ and .git/: only the packages may be seen.
        (
            "checkout root",
            f"lambda: [n for n in os.listdir({str(CHECKOUT)!r}) if n not in {PACKAGES!r}][0]",
        ),
        ("root home", "lambda: [n for n in os.listdir('/root') if n != '.pyenv'][0]"),
        ("connect", f"lambda: socket.create_connection(('127.0.0.1', {port}), timeout=2)"),
        ("write host path", f"lambda: open({str(outside)!r}, 'w').write('rows')"),
        ("write root", "lambda: open('/leak.csv', 'w').write('rows')"),
        ("write usr", "lambda: open('/usr/leak.csv', 'w').write('rows')"),
        ("write input", "lambda: open('/sandbox/in/leak.csv', 'w').write('rows')"),
        ("subprocess", f"lambda: subprocess.run(['/usr/bin/touch', {str(outside)!r}])"),
        ("fork", "lambda: os.fork()"),
        ("spawn", f"lambda: os.posix_spawn('/usr/bin/touch', ['t', {str(outside)!r}], {{}})"),
    ]


def test_a_model_that_reaches_for_keys_lakes_network_disk_or_processes_gets_nothing(
    run_model: Callable[..., FitOutcome],
    tenant: Tenant,
    cohort: Cohort,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    assert_nothing_leaks: Callable[..., None],
    outcome_text: Callable[[FitOutcome], str],
) -> None:
    outside = tmp_path / "outside" / "leak.csv"
    outside.parent.mkdir()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        attempts = _attempts(tenant, outside, listener.getsockname()[1])
        source = ATTEMPTS.format(attempts="\n".join(f"    ({a!r}, {b})," for a, b in attempts))
        outcome = run_model(source)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected

    log = (tmp_path / "job.log").read_text()
    assert [label for label, _ in attempts if f"FAILED {label} " not in log] == []
    assert "SUCCEEDED" not in log
    env_line = next(line for line in log.splitlines() if line.startswith("ENV"))
    assert "'PATH'" in env_line
    for prefix in ("TESTBENCH", "MLFLOW", "RAY_"):
        assert prefix not in env_line
    assert not outside.exists()
    assert outcome.predictions["test"].shape == (len(cohort.test),)
    captured = capfd.readouterr()
    assert "FAILED" not in captured.out + captured.err  # the model's output stays in the log
    assert_nothing_leaks([log, outcome_text(outcome), captured.out, captured.err], tenant, cohort)


PRINTS_ROWS = """\
from sklearn.linear_model import LogisticRegression


class Chatty(LogisticRegression):
    def fit(self, X, y):
        print(X.to_csv())
        return super().fit(X.assign(kommune=X.kommune.cat.codes), y)

    def predict_proba(self, X):
        return super().predict_proba(X.assign(kommune=X.kommune.cat.codes))


def build_model():
    return Chatty()
"""


def test_rows_a_model_prints_go_to_the_job_log_only_and_unit_ids_never_reach_it(
    run_model: Callable[..., FitOutcome],
    tenant: Tenant,
    cohort: Cohort,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    assert_nothing_leaks: Callable[..., None],
    outcome_text: Callable[[FitOutcome], str],
) -> None:
    outcome = run_model(PRINTS_ROWS)

    log = (tmp_path / "job.log").read_text()
    assert f"{cohort.train['weight'].iloc[0]:.6f}" in log  # the operator can see what it said
    assert str(cohort.train.index[0]) not in log  # unit ids never entered the sandbox
    assert outcome.estimator == "custom"  # the class name is the model file's to choose
    captured = capfd.readouterr()
    assert_nothing_leaks([outcome_text(outcome), captured.out, captured.err], tenant, cohort)


RAISES_ROWS = """\
from sklearn.linear_model import LogisticRegression


class Leaky(LogisticRegression):
    def fit(self, X, y):
        raise ValueError(X.head().to_csv())


def build_model():
    return Leaky()
"""


def test_an_exception_reaches_the_caller_as_its_type_and_line_never_its_message(
    run_model: Callable[..., FitOutcome],
    tenant: Tenant,
    cohort: Cohort,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    assert_nothing_leaks: Callable[..., None],
    outcome_text: Callable[[FitOutcome], str],
) -> None:
    with pytest.raises(SandboxedCodeFailed) as caught:
        run_model(RAISES_ROWS)

    message = str(caught.value)
    assert "ValueError at model.py line 6 while fitting" in message
    assert "job log" in message
    assert (caught.value.stage, caught.value.exception, caught.value.line) == (
        "fit",
        "ValueError",
        6,
    )
    log = (tmp_path / "job.log").read_text()
    assert f"{cohort.train['weight'].iloc[0]:.6f}" in log  # the message is kept for the operator
    captured = capfd.readouterr()
    assert_nothing_leaks([message, captured.out, captured.err], tenant, cohort)


def test_an_exception_class_named_after_data_is_not_named_to_the_caller(
    run_model: Callable[..., FitOutcome],
) -> None:
    source = RAISES_ROWS.replace(
        "raise ValueError(X.head().to_csv())",
        "raise type('age_' + str(int(X.age.iloc[0])), (Exception,), {})()",
    )
    with pytest.raises(SandboxedCodeFailed) as caught:
        run_model(source)

    assert "a class the model code defines" in str(caught.value)
    assert "age_" not in str(caught.value)
    assert caught.value.exception is None


MEMORISES_ROWS = """\
import numpy as np
from sklearn.linear_model import LogisticRegression


class Memoriser(LogisticRegression):
    def fit(self, X, y):
        self.rows_ = np.asarray(X[["age", "weight"]], dtype=float)
        return super().fit(X[["age", "weight"]], y)

    def predict_proba(self, X):
        return super().predict_proba(X[["age", "weight"]])


def build_model():
    return Memoriser()
"""


def test_a_model_that_memorises_its_rows_is_handed_back_only_to_be_refused_release(
    run_model: Callable[..., FitOutcome], cohort: Cohort
) -> None:
    outcome = run_model(MEMORISES_ROWS, export_model=True)

    assert outcome.model_file is not None
    verdict = check_model_release(outcome.model_file, len(cohort.train), cohort.train.shape[1])
    assert not verdict.released
    assert [name for name in verdict.refused if name.endswith(".Memoriser")]
    assert any(f"as many as its {len(cohort.train)} training rows" in r for r in verdict.reasons)


def test_a_model_that_ends_the_process_gives_no_result_and_no_exit_status(
    run_model: Callable[..., FitOutcome],
) -> None:
    source = RAISES_ROWS.replace(
        "raise ValueError(X.head().to_csv())", "import os; os._exit(int(X.age.iloc[0]))"
    )
    with pytest.raises(SandboxedCodeFailed, match="without a result") as caught:
        run_model(source)
    assert not isinstance(caught.value, SandboxLimitExceeded)
    assert not any(ch.isdigit() for ch in str(caught.value))
