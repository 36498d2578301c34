"""How data crosses the sandbox's edge, in formats that cannot carry code.

In: the trusted side writes each request into a numbered folder (``0/``, ``1/``...) of a
private directory that the sandbox sees read-only: frames as Arrow IPC (Feather v2) files
without their index, arrays as ``.npy`` without pickle, the rest as JSON, and the model
file's text.

Out: the runner writes named blobs to one pipe as a length-prefixed stream: ``ready``, then
per request ``<k>/prediction/<i>.npy``, ``<k>/model.skops`` and ``<k>/result.json``. The
trusted side reads at most a set number of bytes, accepts only the names it expects, parses
arrays with ``allow_pickle=False`` and JSON with :func:`json.loads`, and never unpickles.
"""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from testbench.jobs.sandbox.contract import (
    FitRequest,
    ImportanceRequest,
    MembershipRequest,
    ModelCode,
)
from testbench.jobs.sandbox.errors import SandboxOutputRefused

REQUEST_FILE = "request.json"
MAGIC = b"TBSANDBOX1\n"
RESULT = "result.json"  # what the runner found for one request (or which stage failed)
READY = "ready"  # the runner set itself up; the model code runs next
MODEL = "model.skops"
MAX_BLOBS = 1024
_BLOB_NAME = re.compile(r"^(ready|\d{1,4}/(result\.json|model\.skops|prediction/\d{1,4}\.npy))$")


def write_request(request: FitRequest, directory: Path) -> None:
    """Write ``request`` into ``directory`` (the sandbox's read-only input).

    Raises:
        ValueError: an outcome array holds Python objects (they cannot cross without pickle).
    """
    names = list(request.predict)
    _write_frame(request.train_x, directory / "train_x.arrow")
    _write_array(request.train_y, directory / "train_y.npy")
    for i, name in enumerate(names):
        _write_frame(request.predict[name], directory / f"predict_{i}.arrow")
    meta: dict[str, Any] = {
        "function": request.code.function,
        "filename": request.code.filename,
        "task": request.task,
        "predict": len(names),
        "export_model": request.export_model,
        "importance": None,
        "membership": None,
    }
    for key, asked in (("importance", request.importance), ("membership", request.membership)):
        if asked is not None:
            _write_array(asked.y, directory / f"{key}_y.npy")
            meta[key] = {"on": names.index(asked.on), "seed": int(asked.seed)}
    (directory / request.code.filename).write_text(request.code.source, encoding="utf-8")
    (directory / REQUEST_FILE).write_text(json.dumps(meta), encoding="utf-8")


def request_dirs(directory: Path) -> list[Path]:
    """The numbered request folders in ``directory``, in order."""
    found = [d for d in directory.iterdir() if d.is_dir() and d.name.isdigit()]
    return sorted(found, key=lambda d: int(d.name))


def read_request(directory: Path) -> FitRequest:
    """The runner's side of :func:`write_request` (sets are named by their position)."""
    meta = json.loads((directory / REQUEST_FILE).read_text(encoding="utf-8"))
    names = [str(i) for i in range(meta["predict"])]
    asked: dict[str, Any] = {}
    for key, kind in (("importance", ImportanceRequest), ("membership", MembershipRequest)):
        if meta[key] is not None:
            y = np.load(directory / f"{key}_y.npy", allow_pickle=False)
            asked[key] = kind(on=names[meta[key]["on"]], y=y, seed=meta[key]["seed"])
    return FitRequest(
        code=ModelCode(
            source=(directory / meta["filename"]).read_text(encoding="utf-8"),
            filename=meta["filename"],
            function=meta["function"],
        ),
        task=meta["task"],
        train_x=feather.read_table(directory / "train_x.arrow").to_pandas(),
        train_y=np.load(directory / "train_y.npy", allow_pickle=False),
        predict={
            name: feather.read_table(directory / f"predict_{name}.arrow").to_pandas()
            for name in names
        },
        importance=asked.get("importance"),
        membership=asked.get("membership"),
        export_model=meta["export_model"],
    )


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), path)


def _write_array(array: np.ndarray, path: Path) -> None:
    if np.asarray(array).dtype == object:
        raise ValueError(
            "an outcome array holds Python objects; pass numbers or booleans to the sandbox"
        )
    np.save(path, np.asarray(array), allow_pickle=False)


def write_blob(stream: BinaryIO, name: str, data: bytes) -> None:
    """Append one named blob to the runner's output stream."""
    encoded = name.encode("ascii")
    stream.write(struct.pack("<I", len(encoded)) + encoded + struct.pack("<Q", len(data)))
    stream.write(data)
    stream.flush()


def array_bytes(array: np.ndarray) -> bytes:
    """``array`` as ``.npy`` bytes, refusing object arrays."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def read_blobs(data: bytes) -> dict[str, bytes]:
    """Split the runner's output stream into its blobs.

    Raises:
        SandboxOutputRefused: the stream is not in the runner's format, names a blob the
            protocol does not have, or repeats one.
    """
    if not data.startswith(MAGIC):
        raise SandboxOutputRefused(refused("its output does not start as the runner's does"))
    blobs: dict[str, bytes] = {}
    at = len(MAGIC)
    while at < len(data):
        if len(blobs) >= MAX_BLOBS or at + 4 > len(data):
            raise SandboxOutputRefused(refused("its output is cut short or too long"))
        (name_length,) = struct.unpack_from("<I", data, at)
        name_end = at + 4 + name_length
        if name_length > 64 or name_end + 8 > len(data):
            raise SandboxOutputRefused(refused("its output holds a malformed entry"))
        name = data[at + 4 : name_end].decode("ascii", errors="replace")
        (size,) = struct.unpack_from("<Q", data, name_end)
        start, at = name_end + 8, name_end + 8 + size
        if not _BLOB_NAME.match(name) or name in blobs or at > len(data):
            raise SandboxOutputRefused(refused("its output holds an entry it may not send"))
        blobs[name] = data[start:at]
    return blobs


def load_array(data: bytes) -> np.ndarray:
    """A ``.npy`` blob as an array, never unpickling.

    Raises:
        SandboxOutputRefused: it is not a plain ``.npy`` array.
    """
    try:
        return np.asarray(np.load(io.BytesIO(data), allow_pickle=False))
    except (ValueError, OSError, EOFError) as exc:
        why = f"an array is not plain .npy ({type(exc).__name__})"
        raise SandboxOutputRefused(refused(why)) from None


def refused(why: str) -> str:
    return (
        f"the sandboxed model code handed back data the test-bench does not accept: {why}; "
        "the operator's job log has the run's output"
    )
