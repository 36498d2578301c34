"""Shared fixtures (a temporary TESTBENCH_HOME, one real run of the chain per session) and the
markers some of them bring (``FIXTURE_MARKERS``)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testbench.config import Settings

REPO = Path(__file__).resolve().parent.parent

# Fixtures that bring markers with them: a test using one is marked without having to say so,
# and `make unit` (`-m "not ... cli and not mlflow ..."`) leaves it out.
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {
    "cli": ("cli",),
    "story_home": ("cli", "mlflow"),  # the chain as subprocesses, logging to a real MLflow store
    "store": ("mlflow",),  # tests/dashboards: build_store logs real MLflow runs
    "ray_head": ("ray",),  # tests/testbench/jobs/test_submit.py
    "sandbox": ("heavy",),  # tests/testbench/jobs/sandbox: each test starts a sandboxed Python
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the fixtures it uses (``FIXTURE_MARKERS``)."""
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            for marker in FIXTURE_MARKERS.get(fixture, ()):
                item.add_marker(marker)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: `make test` runs two workers
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadscope``, a module's tests run on one worker (its module-scoped
    fixtures, a twin built once, are built once), and so do all modules that use the
    session's ``story_home`` (one real run of the chain, about a minute): built once too.

    (xdist's own ``loadgroup`` cannot group them: it renames items, which pytest 9 ignores.)
    """
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid.split("::")[0])

    return ModuleScheduling(config, log)


@functools.cache
def _scope(module: str) -> str:
    """The module's scope: ``story_home`` for modules that use it, else the module."""
    path = REPO / module
    uses_story = path.is_file() and "story_home" in path.read_text(encoding="utf-8")
    return "story_home" if uses_story and path.name != "conftest.py" else module


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
def story_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A TESTBENCH_HOME after the whole chain, run as a user runs it (real subprocesses).

    tenant create -> lake simulate (800 persons) -> twin build (bef, lpr_a_kontakt) ->
    twin evaluate -> validate a light spec on the real lake beside the twin (draft run).
    """
    from testkit.specs import TABLES, write_contact_spec

    root = tmp_path_factory.mktemp("story")
    home = root / "home"
    spec = write_contact_spec(root / "spec")
    run_cli("tenant", "create", "acme", home=home)
    run_cli("lake", "simulate", "acme", "--persons", "800", "--seed", "3", home=home)
    tables = [arg for t in TABLES for arg in ("--table", t)]
    twin = json.loads(run_cli("twin", "build", "acme", *tables, "--json", home=home).stdout)
    evaluated = run_cli("twin", "evaluate", "acme", "--json", home=home, check=False)
    assert evaluated.returncode in (0, 1), evaluated.stderr[-2000:]  # 1: the gate refused
    validated = run_cli(
        "validate", str(spec), "--tenant", "acme", "--requester", "sme-dev", "--json", home=home
    )
    return home, {
        "spec": spec,
        "twin": twin,
        "evaluation": json.loads(evaluated.stdout),
        "validation": json.loads(validated.stdout),
    }
