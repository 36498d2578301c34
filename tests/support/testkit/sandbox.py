"""Whether the tests that need the model sandbox may run, skip, or must fail."""

from __future__ import annotations

import os
import shutil

import pytest

from testbench.jobs.sandbox import sandbox_available


def require_sandbox() -> None:
    """Return when the sandbox starts here; otherwise skip or fail the calling test.

    A machine without bubblewrap skips (a developer's laptop), but never in CI (``CI`` set:
    `make test` installs bubblewrap there). Where bubblewrap is installed and the sandbox
    still cannot start, the test fails with the reason: a broken sandbox must not pass as
    a skipped one.
    """
    reason = sandbox_available()
    if reason is None:
        return
    if shutil.which("bwrap") is None and not os.environ.get("CI"):
        pytest.skip(f"the sandbox cannot run here: {reason}")
    pytest.fail(f"the sandbox cannot start: {reason}")
