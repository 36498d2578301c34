"""The bubblewrap command line itself (no sandbox is started)."""

from __future__ import annotations

import itertools
from pathlib import Path

from testbench.jobs.sandbox import SandboxLimits
from testbench.jobs.sandbox.launcher import _python_paths, bwrap_command


def test_a_checkout_under_tmp_is_bound_on_top_of_the_private_tmp(tmp_path: Path) -> None:
    # CI clones the repository under /tmp: the private /tmp must not hide its venv.
    command = bwrap_command(tmp_path, 3, SandboxLimits())
    tmpfs = command.index("--tmpfs")
    assert command[tmpfs + 1] == "/tmp"
    for path in _python_paths():
        bind = next(
            i for i, arg in enumerate(command) if arg == path and command[i - 1] == "--ro-bind"
        )
        assert bind > tmpfs, f"{path} is bound before /tmp is made, so /tmp would hide it"


def test_the_root_is_never_bound_and_the_environment_is_cleared(tmp_path: Path) -> None:
    command = bwrap_command(tmp_path, 3, SandboxLimits())
    pairs = list(itertools.pairwise(command))
    assert ("--ro-bind", "/") not in pairs and ("--bind", "/") not in pairs
    assert "--clearenv" in command and "--unshare-net" in command
