"""The sandbox for SME model code: it sees its training rows and nothing else, and nothing
it says leaves except checked plain data.

>>> problem = sandbox_available()          # None, or why the sandbox cannot run here
>>> outcome = run_sandboxed(request, SandboxLimits(), log_path=job_log)
>>> verdict = check_model_release(outcome.model_file, n_train_rows, n_features)

:mod:`~.contract` holds the request and outcome types, :mod:`~.launcher` starts bubblewrap
and checks what comes back, :mod:`~.runner` is the process inside, :mod:`~.seccomp` its
filter, :mod:`~.wire` the formats on both edges, :mod:`~.compute` the work itself (shared
with :func:`run_unsandboxed`), and :mod:`~.release` decides whether a fitted model may leave.
"""

from testbench.jobs.estimators import BINARY, REGRESSION
from testbench.jobs.sandbox.compute import run_unsandboxed
from testbench.jobs.sandbox.contract import (
    FitOutcome,
    FitRequest,
    ImportanceRequest,
    MembershipRequest,
    ModelCode,
    SandboxLimits,
)
from testbench.jobs.sandbox.errors import (
    SandboxedCodeFailed,
    SandboxError,
    SandboxLimitExceeded,
    SandboxOutputRefused,
    SandboxUnavailable,
)
from testbench.jobs.sandbox.launcher import (
    run_sandboxed,
    run_sandboxed_batch,
    sandbox_available,
)
from testbench.jobs.sandbox.release import (
    DEFAULT_ALLOWED_PREFIXES,
    ReleaseVerdict,
    check_model_release,
)

__all__ = [
    "BINARY",
    "DEFAULT_ALLOWED_PREFIXES",
    "REGRESSION",
    "FitOutcome",
    "FitRequest",
    "ImportanceRequest",
    "MembershipRequest",
    "ModelCode",
    "ReleaseVerdict",
    "SandboxError",
    "SandboxLimitExceeded",
    "SandboxLimits",
    "SandboxOutputRefused",
    "SandboxUnavailable",
    "SandboxedCodeFailed",
    "check_model_release",
    "run_sandboxed",
    "run_sandboxed_batch",
    "run_unsandboxed",
    "sandbox_available",
]
