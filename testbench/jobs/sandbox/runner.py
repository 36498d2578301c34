"""The sandboxed process: ``python -I -m testbench.jobs.sandbox.runner IN_DIR OUT_FD``.

Runs inside bubblewrap (see :mod:`~.launcher`). It imports what the job needs, reads the
requests from ``IN_DIR`` (``0/``, ``1/``...), installs the seccomp filter, and only then
executes the SME's model file. It writes its findings to the pipe ``OUT_FD`` (see
:mod:`~.wire`). Whatever the model code prints, and the full traceback of anything it
raises, go to this process's stdout and stderr, which the trusted side keeps in the
operator's job log. A failure is reported on the pipe as its stage, its exception's type
and its line in the model file, nothing more.

Once the model file is imported, the model code can change anything in this process,
including what is written to the pipe: the trusted side checks it as untrusted data.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from testbench.jobs.sandbox import seccomp, wire
from testbench.jobs.sandbox.compute import compute
from testbench.jobs.sandbox.contract import FitRequest


def main(argv: list[str]) -> int:
    """Run the requests in ``argv[1]`` (one numbered folder each) and write the outcomes to
    fd ``argv[2]``; stop at the first that fails."""
    in_dir, out = Path(argv[1]), os.fdopen(int(argv[2]), "wb")
    out.write(wire.MAGIC)
    probe = argv[3:] == ["--probe"]
    requests = [] if probe else [wire.read_request(d) for d in wire.request_dirs(in_dir)]
    _import_before_lockdown(requests)
    seccomp.deny_process_creation()
    wire.write_blob(out, wire.READY, b"")
    for k, request in enumerate(requests):
        if not _run_one(out, k, request, in_dir / str(k) / request.code.filename):
            break
    return 0


def _run_one(out: BinaryIO, k: int, request: FitRequest, model_path: Path) -> bool:
    """Run request ``k`` and write its blobs; False when the model code failed."""
    stage = ["import"]

    def on_stage(name: str) -> None:
        stage[0] = name

    start = time.perf_counter()
    try:
        found = compute(request, model_path, on_stage)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from model code too
        traceback.print_exc()
        error = _describe(exc, model_path, stage[0])
        wire.write_blob(out, f"{k}/{wire.RESULT}", json.dumps({"error": error}).encode())
        return False
    for i, prediction in enumerate(found.predictions.values()):
        wire.write_blob(out, f"{k}/prediction/{i}.npy", wire.array_bytes(prediction))
    if found.model_file is not None:
        wire.write_blob(out, f"{k}/{wire.MODEL}", found.model_file)
    result = {
        "error": None,
        "estimator": found.estimator,
        "estimator_module": found.estimator_module,
        "instance_based": bool(found.instance_based),
        "importance": found.importance,
        "membership": found.membership,
        "seconds": time.perf_counter() - start,
    }
    wire.write_blob(out, f"{k}/{wire.RESULT}", json.dumps(result).encode())
    return True


def _import_before_lockdown(requests: list[FitRequest]) -> None:
    """Import what the job will use while starting programs is still allowed (a library
    may probe the machine with a subprocess on first import); skops only when asked, as it
    imports every scikit-learn estimator (seconds)."""
    import sklearn.inspection  # noqa: F401  (permutation_importance imports it lazily)

    if any(request.membership is not None for request in requests):
        import validation.privacy.membership  # noqa: F401
    if any(request.export_model for request in requests):
        # skops imports every scikit-learn estimator, and scikit-learn's array-API layer
        # then imports torch where it is installed (over a second, on the path of every
        # job that may release its model). No torch type may be released, so skops is
        # imported as if torch were absent; model code that imports torch still can.
        blocked = "torch" not in sys.modules
        if blocked:
            sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import skops.io  # noqa: F401
        finally:
            if blocked:
                del sys.modules["torch"]


def _describe(exc: BaseException, model_path: Path, stage: str) -> dict[str, Any]:
    """Stage, exception type and model-file line of a failure (the message stays in the log)."""
    from testbench.errors import TestbenchError

    if isinstance(exc, TestbenchError):
        # build_estimator wraps what the model file raised; its own refusals have no cause.
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            return {"stage": stage, "module": None, "name": None, "line": None, "spec": True}
        exc = inner
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == str(model_path):
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(model_path):
            line = frame.lineno  # the deepest line of the model file
    kind = type(exc)
    return {
        "stage": stage,
        "module": kind.__module__,
        "name": kind.__qualname__,
        "line": line,
        "spec": False,
    }


def _flush(*streams: BinaryIO | Any) -> None:
    for stream in streams:
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


if __name__ == "__main__":
    code = main(sys.argv)
    _flush(sys.stdout, sys.stderr)
    os._exit(code)  # no exit handlers: the model code may have registered some
