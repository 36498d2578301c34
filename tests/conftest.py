"""Shared fixtures: a temporary TESTBENCH_HOME and one real demo run per test session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testbench.config import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty temporary TESTBENCH_HOME."""
    return Settings(home=tmp_path / "home")


def run_cli(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `testbench` command in a subprocess with TESTBENCH_HOME=home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTBENCH_", "MLFLOW_"))}
    env.pop("RAY_ADDRESS", None)
    env["TESTBENCH_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "testbench.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home.parent,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"testbench {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def cli():
    """The `run_cli` helper, for tests that drive the command line."""
    return run_cli


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A TESTBENCH_HOME after `testbench demo --no-dashboard --persons 500 --json`."""
    home = tmp_path_factory.mktemp("demo") / "home"
    result = run_cli("demo", "--no-dashboard", "--persons", "500", "--json", home=home)
    return home, json.loads(result.stdout)
