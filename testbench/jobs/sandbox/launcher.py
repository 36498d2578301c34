"""Start the runner under bubblewrap with rlimits, collect and check what it hands back.

Isolation, flag by flag (the README's "What SME code can and cannot do" should cite this):

- ``--clearenv`` then only ``PATH``, ``HOME``/``TMPDIR`` (the private tmpfs), ``LANG`` and
  one-thread settings: no key, lake path, ``TESTBENCH_*``, ``MLFLOW_*`` or ``RAY_*`` variable.
  The bwrap process itself is started with the same short environment.
- ``--unshare-net``: a network namespace of its own (its own loopback only): nothing on
  the host or the network can be reached, the host's 127.0.0.1 included.
- ``--unshare-pid`` with ``--proc /proc``: the process sees only itself.
- ``--unshare-ipc``, ``--unshare-uts``, ``--unshare-cgroup-try``: no shared memory or
  semaphores of the host, its own host name.
- ``--die-with-parent``, ``--new-session``: it dies with its launcher and cannot push
  characters into the launcher's terminal (TIOCSTI).
- ``--cap-drop ALL``: no capabilities, even as root.
- File system: a fresh root with only read-only binds of the system's ``/usr`` (and the
  ``/bin``, ``/lib``... links to it), the few files of ``/etc`` the dynamic loader and
  time zones need, the Python installation (``sys.base_prefix``), the virtual environment
  (``sys.prefix``) and the project packages the runner imports; then ``--remount-ro /``.
  Not the repository root (it holds ``.testbench/``), not ``TESTBENCH_HOME``, keys, lakes or
  ``/root``. The request directory is bound read-only at ``/sandbox/in``; ``/tmp`` is a
  private tmpfs of at most ``file_size_mb``.
- Limits, set by the launcher before it execs bwrap: RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE,
  RLIMIT_NPROC, RLIMIT_CORE=0, and a wall clock that kills the process group.
- Processes: root is exempt from RLIMIT_NPROC, so the runner installs a seccomp filter
  (:mod:`~.seccomp`) before the model file is imported: no ``execve``, ``fork`` or
  non-thread ``clone``.
- Out: a pipe (not a writable directory) carries plain blobs (:mod:`~.wire`); stdout and
  stderr go to files that are appended to the operator's job log, never to the caller.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime
import importlib.util
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from testbench.jobs.sandbox import seccomp, wire
from testbench.jobs.sandbox.contract import FitOutcome, FitRequest, SandboxLimits
from testbench.jobs.sandbox.errors import (
    SandboxedCodeFailed,
    SandboxLimitExceeded,
    SandboxOutputRefused,
    SandboxUnavailable,
)
from testbench.jobs.sandbox.release import model_types

RUNNER = "testbench.jobs.sandbox.runner"
SANDBOX_IN = "/sandbox/in"  # where the request directory appears inside
PATH = "/usr/local/bin:/usr/bin:/bin"
# One thread per library, so a sandboxed fit gives the numbers a one-thread fit gives.
THREAD_VARIABLES = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "LOKY_MAX_CPU_COUNT": "1",
}
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives")
# Project packages the runner may import (code only; never the checkout's root).
_PACKAGES = ("testbench", "validation", "common")
# A scikit-learn module path, as the runner may name the module of the model's last step.
_SKLEARN_MODULE = re.compile(r"sklearn(\.[A-Za-z_][A-Za-z0-9_]*)+")
_STAGES = {
    "import": "importing the model file",
    "build": "importing the model file or building the estimator",
    "fit": "fitting",
    "predict": "predicting",
    "importance": "computing permutation importance",
    "membership": "running the membership attack",
    "export": "saving the fitted model",
}
_LOG_HINT = "the operator's job log has the message"
# Libraries whose exception classes may be named to the caller (when already loaded here).
_KNOWN_EXCEPTION_LIBRARIES = ("sklearn.", "numpy.", "pandas.", "scipy.")


def sandbox_available() -> str | None:
    """None when the sandbox works here, else a one-line reason.

    Probes for real: starts bubblewrap with the flags :func:`run_sandboxed` uses and the
    runner in probe mode, which imports the job's libraries and installs the seccomp filter.
    """
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: install the Debian package bubblewrap"
    if not seccomp.supported():
        return f"no seccomp filter for this machine's architecture ({os.uname().machine})"
    try:
        with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch:
            finished = _launch(Path(scratch), SandboxLimits(wall_seconds=120), probe=True)
    except SandboxUnavailable as exc:
        return str(exc)
    if finished.ready:
        return None
    detail = (finished.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
    return f"bubblewrap cannot start the sandbox here (exit {finished.returncode}): {detail[:200]}"


def run_sandboxed(
    request: FitRequest,
    limits: SandboxLimits,
    log_path: Path,
    scratch: Path | None = None,
) -> FitOutcome:
    """Fit the SME's model in the sandbox and return what the job needs, as plain data.

    Args:
        request: the model file and the frames it may see.
        limits: its resource limits.
        log_path: the operator's job log (inside the lake); the model code's stdout and
            stderr, and the full message of anything it raised, are appended to it.
        scratch: where the private request directory is made (inside the lake boundary;
            default: the system's temp directory). It is removed afterwards.

    Raises:
        SandboxUnavailable: bubblewrap could not start, or the runner failed before the
            model code ran.
        SandboxLimitExceeded: the model code ran past a limit.
        SandboxedCodeFailed: the model code raised, or ended the process without a result.
        SandboxOutputRefused: what came back breaks the protocol.
    """
    return run_sandboxed_batch([request], limits, log_path, scratch)[0]


def run_sandboxed_batch(
    requests: Sequence[FitRequest],
    limits: SandboxLimits,
    log_path: Path,
    scratch: Path | None = None,
) -> list[FitOutcome]:
    """Run several fits, in order, in one sandbox: one start-up (about as long as importing
    scikit-learn) for all the folds of a regime, say. The limits hold for the whole batch.

    Each fit gets the same numbers it gets alone (each builds a fresh estimator). The first
    that fails raises, as :func:`run_sandboxed` would; the ones after it do not run.
    """
    if not requests:
        return []
    with tempfile.TemporaryDirectory(prefix="sandbox-", dir=scratch) as directory:
        in_dir = Path(directory) / "in"
        in_dir.mkdir(mode=0o700)
        for k, request in enumerate(requests):
            (in_dir / str(k)).mkdir(mode=0o700)
            wire.write_request(request, in_dir / str(k))
        finished = _launch(in_dir, limits)
    _append_log(log_path, requests[0], finished)
    blobs = _blobs(requests[0].code.filename, finished)
    return [_outcome(request, k, blobs, finished, limits) for k, request in enumerate(requests)]


def _outcome(
    request: FitRequest,
    k: int,
    blobs: dict[str, bytes],
    finished: _Finished,
    limits: SandboxLimits,
) -> FitOutcome:
    prefix = f"{k}/"
    mine = {
        name.removeprefix(prefix): data for name, data in blobs.items() if name.startswith(prefix)
    }
    found = _interpret(request, mine, finished.returncode)
    model_file = found["model_file"]
    types = _types_or_refuse(model_file) if model_file is not None else []
    seconds = found["seconds"]
    if not 0 <= seconds <= limits.wall_seconds:
        raise SandboxOutputRefused(wire.refused("the fit's time is not a time"))
    return FitOutcome(
        predictions=found["predictions"],
        importance=found["importance"],
        membership=found["membership"],
        estimator=found["estimator"],
        instance_based=found["instance_based"] or _names_instance_based(types),
        model_file=model_file,
        model_types=types,
        seconds=seconds,
    )


def bwrap_command(
    in_dir: Path, out_fd: int, limits: SandboxLimits, probe: bool = False
) -> list[str]:
    """The bubblewrap command line that runs the runner on ``in_dir``."""
    command = [
        "bwrap",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
    ]
    environment = {"PATH": PATH, "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    for name, value in {**environment, **THREAD_VARIABLES}.items():
        command += ["--setenv", name, value]
    for directory in _SYSTEM_DIRS:
        if os.path.islink(directory):
            command += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            command += ["--ro-bind", directory, directory]
    for name in _ETC_FILES:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # The private /tmp before the Python binds: a checkout or venv under /tmp (a CI clone)
    # is then bound on top of it, not hidden by it.
    command += ["--size", str(limits.file_size_mb * 2**20), "--tmpfs", "/tmp"]
    for path in _python_paths():
        command += ["--ro-bind", path, path]
    command += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--ro-bind",
        str(in_dir),
        SANDBOX_IN,
        "--remount-ro",
        "/",
        "--chdir",
        "/tmp",
        sys.executable,
        "-I",
        "-m",
        RUNNER,
        SANDBOX_IN,
        str(out_fd),
    ]
    return [*command, "--probe"] if probe else command


@lru_cache(maxsize=1)
def _python_paths() -> tuple[str, ...]:
    """The Python installation, the venv and the project packages the runner imports."""
    paths = {os.path.realpath(sys.base_prefix), sys.prefix, os.path.realpath(sys.prefix)}
    for name in _PACKAGES:
        found = importlib.util.find_spec(name)
        if found is None or found.origin is None:
            continue
        package = os.path.dirname(found.origin)
        if not any(package.startswith(prefix + os.sep) for prefix in paths):
            paths.add(package)  # an editable install: the package lies in the checkout
    return tuple(sorted(paths))


@dataclass(frozen=True)
class _Finished:
    """How one sandboxed process ended."""

    returncode: int  # bwrap's exit status (128 + signal when the runner was killed)
    output: bytes  # what it wrote to the pipe, at most the file-size limit
    stdout: bytes  # the model code's (and the runner's) stdout
    stderr: bytes  # their stderr, with bubblewrap's own messages
    timed_out: bool  # killed by the wall clock
    overflowed: bool  # wrote more than the file-size limit to the pipe

    @property
    def ready(self) -> bool:
        """The runner set itself up (so anything after this is the model code's doing)."""
        with contextlib.suppress(SandboxOutputRefused):
            return wire.READY in wire.read_blobs(self.output)
        return False


def _launch(in_dir: Path, limits: SandboxLimits, probe: bool = False) -> _Finished:
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: install the Debian package bubblewrap, or "
            "run the spec on a twin bundle"
        )
    read_end, write_end = os.pipe()
    cap = limits.file_size_mb * 2**20 + 2**16
    chunks: list[bytes] = []
    overflowed = [False]

    def drain() -> None:
        size = 0
        while block := os.read(read_end, 2**20):
            if size + len(block) > cap:
                overflowed[0] = True
                continue  # keep draining so the writer is not blocked
            chunks.append(block)
            size += len(block)

    reader = threading.Thread(target=drain, daemon=True)
    # The model code's output may hold rows: it stays beside the request (in the scratch
    # directory, inside the lake boundary), unnamed, until it is appended to the job log.
    with (
        tempfile.TemporaryFile(dir=in_dir.parent) as out,
        tempfile.TemporaryFile(dir=in_dir.parent) as err,
    ):
        try:
            process = subprocess.Popen(
                bwrap_command(in_dir, write_end, limits, probe),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=(write_end,),
                env={"PATH": PATH, "LANG": "C.UTF-8"},
                preexec_fn=_rlimits(limits),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_end)
            raise SandboxUnavailable(
                f"cannot start bubblewrap ({exc.strerror}); check the bubblewrap installation"
            ) from None
        finally:
            os.close(write_end)
        reader.start()
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join()
        os.close(read_end)
        out.seek(0)
        err.seek(0)
        return _Finished(
            process.returncode, b"".join(chunks), out.read(), err.read(), timed_out, overflowed[0]
        )


def _rlimits(limits: SandboxLimits) -> Callable[[], None]:
    values = [
        (resource.RLIMIT_AS, limits.memory_mb * 2**20, limits.memory_mb * 2**20),
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 2**20, limits.file_size_mb * 2**20),
        (resource.RLIMIT_NPROC, limits.processes, limits.processes),
        (resource.RLIMIT_CORE, 0, 0),  # a core dump would hold training rows
    ]

    def apply() -> None:
        for kind, soft, hard in values:
            resource.setrlimit(kind, (soft, hard))

    return apply


def _append_log(log_path: Path, request: FitRequest, finished: _Finished) -> None:
    """Keep the model code's output in the operator's job log (never shown to the caller)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    code = request.code
    ending = "killed by the wall-clock limit" if finished.timed_out else "exit status"
    with log_path.open("ab") as log:
        log.write(f"=== sandboxed {code.filename}:{code.function} at {when} ===\n".encode())
        log.write(b"--- stdout ---\n" + finished.stdout + b"\n")
        log.write(b"--- stderr ---\n" + finished.stderr + b"\n")
        log.write(f"--- {ending} {finished.returncode} ---\n".encode())


def _blobs(filename: str, finished: _Finished) -> dict[str, bytes]:
    """The runner's blobs, or the error for a run that was stopped or never got going."""
    if finished.timed_out:
        raise SandboxLimitExceeded(
            f"the model code in {filename} ran past the wall-clock limit; make it "
            "faster or ask the operator for a longer limit",
            "wall",
        )
    if finished.overflowed:
        raise SandboxLimitExceeded(
            f"the model code in {filename} handed back more than the file-size limit; "
            "ask the operator for a larger limit",
            "file_size",
        )
    blobs = wire.read_blobs(finished.output)
    if wire.READY not in blobs:
        raise SandboxUnavailable(
            "the sandbox's runner failed before the model code ran; the operator's job log "
            "has bubblewrap's message (check the memory limit and `testbench` installation)"
        )
    return blobs


def _interpret(request: FitRequest, blobs: dict[str, bytes], returncode: int) -> dict[str, Any]:
    """Turn one request's blobs into checked plain data, or raise the matching error."""
    code = request.code
    if wire.RESULT not in blobs and returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        raise SandboxLimitExceeded(
            f"the model code in {code.filename} ran past its CPU-time limit (or was killed); "
            "make it faster or ask the operator for a larger limit",
            "cpu",
        )
    if wire.RESULT not in blobs:
        raise SandboxedCodeFailed(
            f"the model code in {code.filename} ended the sandboxed process without a "
            "result; the operator's job log has its exit status and output",
            stage="unknown",
        )
    result = _json_object(blobs[wire.RESULT])
    if result.get("error") is not None:
        raise _failure(code.filename, code.function, code.source, result["error"])
    seconds = result.get("seconds")
    return {
        "predictions": _predictions(request, blobs),
        "importance": _importance(request, result.get("importance")),
        "membership": _membership(request, result.get("membership")),
        "estimator": _estimator(result.get("estimator"), result.get("estimator_module")),
        "instance_based": _bool(result.get("instance_based")),
        "model_file": _model_file(request, blobs),
        "seconds": float(seconds) if isinstance(seconds, (int, float)) else -1.0,
    }


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        found = None
    if not isinstance(found, dict):
        raise SandboxOutputRefused(wire.refused("its result is not a JSON object"))
    return found


def _failure(filename: str, function: str, source: str, error: Any) -> SandboxedCodeFailed:
    """The error for a failure the runner reported; only checked, data-free facts go in."""
    if not isinstance(error, dict):
        return SandboxedCodeFailed(
            f"the model code in {filename} failed; {_LOG_HINT}", stage="unknown"
        )
    stage = str(error.get("stage")) if error.get("stage") in _STAGES else "unknown"
    doing = _STAGES.get(stage, "running")
    if error.get("spec") is True:
        return SandboxedCodeFailed(
            f"{filename}:{function}() did not give a usable estimator; run the spec on the "
            "twin bundle to see why (the operator's job log has the reason)",
            stage=stage,
        )
    kind = _known_exception(error.get("module"), error.get("name"))
    name = kind.__name__ if kind is not None else None
    line = error.get("line")
    n_lines = source.count("\n") + 1
    line = line if isinstance(line, int) and 1 <= line <= n_lines else None
    where = f" at {filename} line {line}" if line is not None else f" in {filename}"
    if kind is not None and issubclass(kind, MemoryError):
        return SandboxLimitExceeded(
            f"the model code ran out of memory while {doing}{where}; use less memory or ask "
            "the operator for a larger limit",
            "memory",
        )
    what = name or "an exception of a class the model code defines"
    return SandboxedCodeFailed(
        f"the model code raised {what}{where} while {doing}; {_LOG_HINT}",
        stage=stage,
        exception=name,
        line=line,
    )


def _known_exception(module: Any, name: Any) -> type[BaseException] | None:
    """The exception class of Python or of a library already loaded here that the runner
    named, or None (a class the model file defines, or anything else)."""
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    if module != "builtins" and not module.startswith(_KNOWN_EXCEPTION_LIBRARIES):
        return None
    loaded = builtins if module == "builtins" else sys.modules.get(module)
    kind = getattr(loaded, name, None) if loaded is not None else None
    return kind if isinstance(kind, type) and issubclass(kind, BaseException) else None


def _predictions(request: FitRequest, blobs: dict[str, bytes]) -> dict[str, np.ndarray]:
    predictions = {}
    for i, (name, frame) in enumerate(request.predict.items()):
        blob = blobs.get(f"prediction/{i}.npy")
        array = wire.load_array(blob) if blob is not None else None
        if array is None or array.dtype != np.float64 or array.shape != (len(frame),):
            raise SandboxOutputRefused(wire.refused(f"the predictions for {name!r} are not valid"))
        predictions[name] = array
    return predictions


def _importance(request: FitRequest, found: Any) -> list[dict[str, float | str]] | None:
    if request.importance is None:
        return None
    columns = [str(c) for c in request.predict[request.importance.on].columns]
    if not isinstance(found, list) or len(found) > len(columns):
        raise SandboxOutputRefused(wire.refused("the importances are not a list of features"))
    rows: list[dict[str, float | str]] = []
    for row in found:
        if not (
            isinstance(row, dict)
            and set(row) == {"feature", "mean", "sd"}
            and row["feature"] in columns
            and all(isinstance(row[k], (int, float)) for k in ("mean", "sd"))
        ):
            raise SandboxOutputRefused(wire.refused("an importance row is not valid"))
        feature = columns[columns.index(row["feature"])]  # our string, not the sandbox's
        rows.append({"feature": feature, "mean": float(row["mean"]), "sd": float(row["sd"])})
    return rows


def _membership(request: FitRequest, found: Any) -> dict[str, float] | None:
    if request.membership is None:
        return None
    if not (
        isinstance(found, dict)
        and set(found) == {"auc", "advantage"}
        and all(
            isinstance(v, (int, float)) and not math.isnan(v) and 0 <= v <= 1
            for v in found.values()
        )
    ):
        raise SandboxOutputRefused(wire.refused("the membership result is not valid"))
    return {"auc": float(found["auc"]), "advantage": float(found["advantage"])}


def _estimator(found: Any, module: Any) -> str:
    """The estimator's class name when scikit-learn has such a class, else ``custom``.

    The runner names the last step's class and its module (both untrusted). The name is
    kept only when that module is one of scikit-learn's (not its tests) and holds an
    estimator class of that name; importing one scikit-learn module here is cheap, where
    listing every estimator (``all_estimators``) took seconds per worker process.
    """
    if not isinstance(found, str):
        return "custom"
    inner = (
        found.removeprefix("Pipeline(").removesuffix(")")
        if found.startswith("Pipeline(")
        else found
    )
    name = inner if _is_sklearn_estimator(module, inner) else "custom"
    return f"Pipeline({name})" if inner != found else name


def _is_sklearn_estimator(module: Any, name: str) -> bool:
    from sklearn.base import BaseEstimator

    if not isinstance(module, str) or not _SKLEARN_MODULE.fullmatch(module):
        return False
    if ".tests" in module or not name.isidentifier():
        return False
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return False
    return isinstance(found, type) and issubclass(found, BaseEstimator)


def _bool(found: Any) -> bool:
    if not isinstance(found, bool):
        raise SandboxOutputRefused(wire.refused("instance_based is not true or false"))
    return found


def _model_file(request: FitRequest, blobs: dict[str, bytes]) -> bytes | None:
    if not request.export_model:
        return None
    if wire.MODEL not in blobs:
        raise SandboxOutputRefused(wire.refused("the fitted model is missing"))
    return blobs[wire.MODEL]


def _types_or_refuse(model_file: bytes) -> list[str]:
    try:
        return model_types(model_file)
    except ValueError:
        raise SandboxOutputRefused(wire.refused("the fitted model is not a skops file")) from None


def _names_instance_based(types: list[str]) -> bool:
    from testbench.jobs.sandbox.release import instance_based_names

    return bool(set(types) & instance_based_names())
