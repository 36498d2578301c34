"""Errors of the sandbox for SME model code. Each message says what to do next.

::

    TestbenchError                      (testbench.errors)
     └── SandboxError
          ├── SandboxUnavailable        bubblewrap or the kernel features it needs are missing
          ├── SandboxedCodeFailed       the model code raised, or ended the process, in the sandbox
          │    └── SandboxLimitExceeded  it ran past its memory, CPU, wall-clock or file-size limit
          └── SandboxOutputRefused      what came back is not the plain data the runner hands back

No message here ever holds what the model code said (its exception message, its output):
that goes to the operator's job log only. A message holds at most an exception type from
Python or a known library, a line number of the model file, and the stage that failed.
"""

from __future__ import annotations

from testbench.errors import TestbenchError


class SandboxError(TestbenchError):
    """Base class of the sandbox's errors."""


class SandboxUnavailable(SandboxError):
    """The sandbox cannot be set up on this machine (fail closed: nothing ran)."""


class SandboxedCodeFailed(SandboxError):
    """The SME's model code failed inside the sandbox.

    Attributes:
        stage: what the sandbox was doing: "import", "build", "fit", "predict",
            "importance", "membership" or "export".
        exception: the exception's type name when it is one of Python's or a known
            library's, else None (a class the model file defines could spell data).
        line: the model file's line where it was raised, when it was raised there.
    """

    def __init__(
        self, message: str, stage: str = "", exception: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.exception = exception
        self.line = line


class SandboxLimitExceeded(SandboxedCodeFailed):
    """The model code ran past one of its :class:`SandboxLimits`.

    Attributes:
        limit: "memory", "cpu", "wall" or "file_size".
    """

    def __init__(self, message: str, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class SandboxOutputRefused(SandboxError):
    """The sandbox handed back something other than the plain data its protocol allows."""
