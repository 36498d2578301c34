"""Whether a fitted model, handed back as a skops file, may leave the lake. Never loads it.

A skops file is a zip: ``schema.json`` describes every object (its ``__module__`` and
``__class__``, or a function's), and arrays lie beside it as ``.npy`` files. The check reads
the schema and the arrays' headers only, so no code of the model, nor any library code a
crafted file names, runs here.

The rule (all must hold):

1. **Known types only.** Every type and function the file names comes from a module under
   one of ``allowed_prefixes`` (default scikit-learn, NumPy, SciPy, and the builtin
   containers); from ``builtins`` only types (``dict``, ``float``...), never a function
   such as ``eval``. A class from the SME's own file is never allowed.
2. **Not instance-based.** No estimator that keeps its training rows by design (k-NN, SVMs,
   kernel ridge, Gaussian processes...: ``INSTANCE_BASED_TYPES`` in
   :mod:`validation.privacy.membership`), whatever its size (SACRO-ML's rule).
3. **Nothing as long as a column.** No array axis, list, tuple, dict or string holds as many
   entries (characters) as there are training rows: such a container could hold one
   training column in full.
4. **Smaller than the data.** All stored values together (array elements, one per field of
   a structured array; list items; characters of strings, and of numbers stored as JSON)
   are fewer than the training data's values (rows times features): otherwise the model
   could hold a copy of the data however it splits it.

A model whose size grows with its training rows fails rule 3 or 4 once the data is large
enough; a fixed-size model (a linear model, a depth-limited ensemble) passes both once the
cohort holds more values than the model stores. Everything counts, random-number state
included (a boosted tree ensemble keeps 624 numbers per tree): once the model code ran in
the process that wrote the file, any allowed container could carry data.
"""

from __future__ import annotations

import builtins
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_ALLOWED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins", "collections")
_SCHEMA = "schema.json"
_MAX_SCHEMA = 64 * 2**20  # bytes of schema.json read at most


@dataclass(frozen=True)
class ReleaseVerdict:
    """Whether a fitted model may be released, and why not."""

    released: bool  # every rule holds
    reasons: list[str] = field(default_factory=list)  # one line per broken rule; no data, no
    # name the model code chose: safe to show the requester and to log as evidence
    types: list[str] = field(default_factory=list)  # every module.name the file names (operator
    # only: the model code chose some of them)
    refused: list[str] = field(default_factory=list)  # those outside the allowed libraries
    stored_values: int = 0  # values the file stores (rule 4)
    longest: int = 0  # entries of its longest array axis, container or string (rule 3)


def model_types(model_file: bytes) -> list[str]:
    """Every ``module.name`` a skops file refers to, sorted (the file is not loaded).

    Raises:
        ValueError: it is not a skops file.
    """
    return sorted({f"{module}.{name}" for module, name in _references(_schema(model_file))})


def check_model_release(
    model_file: bytes,
    n_train_rows: int,
    n_features: int,
    allowed_prefixes: tuple[str, ...] = DEFAULT_ALLOWED_PREFIXES,
) -> ReleaseVerdict:
    """Apply the release rule in this module's docstring to a skops file.

    Args:
        model_file: the skops file from the sandbox.
        n_train_rows: rows the model was trained on.
        n_features: features per row.
        allowed_prefixes: packages whose types may appear; each allows the package and the
            modules under it (``"sklearn."`` allows ``sklearn.pipeline``).

    Returns:
        The verdict; ``released`` is False with reasons when any rule fails, including
        when the file is not a readable skops file.
    """
    try:
        schema, archive = _schema(model_file), zipfile.ZipFile(io.BytesIO(model_file))
    except ValueError as exc:
        return ReleaseVerdict(False, [f"the model file is not a skops file ({exc})"])
    references = sorted(set(_references(schema)))
    types = [f"{module}.{name}" for module, name in references]
    refused = [f"{m}.{n}" for m, n in references if not _allowed(m, n, allowed_prefixes)]
    reasons = []
    if refused:
        # Not named here: a class the model file defines could spell data in its name.
        reasons.append(
            f"{len(refused)} type(s) or function(s) in the model file are not from an allowed "
            f"library ({', '.join(allowed_prefixes)}); the operator finds them in `refused`"
        )
    instance_based = sorted(set(types) & instance_based_names())
    if instance_based:
        reasons.append(
            f"{', '.join(instance_based)} keeps training rows by design; such models are "
            "never released"
        )
    try:
        sizes = list(_sizes(schema, archive))
    except ValueError:  # its message names a file the model code chose
        reasons.append("an array in the model file is not a readable .npy file")
        return ReleaseVerdict(False, reasons, types, refused)
    longest = max((length for length, _ in sizes), default=0)
    stored = sum(values for _, values in sizes)
    if longest >= n_train_rows:
        reasons.append(
            f"the model stores a container of {longest} entries, as many as its "
            f"{n_train_rows} training rows: it could hold a training column"
        )
    if stored >= n_train_rows * n_features:
        reasons.append(
            f"the model stores {stored} values, as many as its training data's "
            f"{n_train_rows} x {n_features}: it could hold a copy of the data"
        )
    return ReleaseVerdict(not reasons, reasons, types, refused, stored, longest)


def _schema(model_file: bytes) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(model_file)) as archive, archive.open(_SCHEMA) as handle:
            text = handle.read(_MAX_SCHEMA + 1)  # a crafted zip may inflate without end
        schema = json.loads(text) if len(text) <= _MAX_SCHEMA else None
    except Exception as exc:  # zipfile, zlib and json raise many types on crafted input
        raise ValueError(type(exc).__name__) from None  # their messages may quote the input
    if not (isinstance(schema, dict) and {"__loader__", "__module__", "__class__"} <= set(schema)):
        raise ValueError("its schema does not describe an object")
    return schema


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _references(schema: Any) -> Iterator[tuple[str, str]]:
    for node in _nodes(schema):
        yield str(node.get("__module__")), str(node.get("__class__"))


def _allowed(module: str, name: str, prefixes: tuple[str, ...]) -> bool:
    if module == "builtins":
        # Types only: a function named here (eval, exec, open) would be called on load.
        return "builtins" in prefixes and isinstance(getattr(builtins, name, None), type)
    return any(
        module == prefix.rstrip(".") or module.startswith(prefix.rstrip(".") + ".")
        for prefix in prefixes
    )


def _sizes(schema: Any, archive: zipfile.ZipFile) -> Iterator[tuple[int, int]]:
    """(longest axis or length, stored values) of every array, container and string.

    A node whose ``__id__`` was seen before is the same object stored again (skops loads
    it once, from memory), so it is counted once.
    """
    seen: set[str] = set()
    for node in _nodes(schema):
        identity = str(node.get("__id__"))
        if identity in seen:
            continue
        seen.add(identity)
        content = node.get("content")
        if node.get("__loader__") == "NdArrayNode" and node.get("type") == "numpy":
            shape, fields = _npy_header(archive, str(node.get("file")))
            yield max(shape, default=1), int(np.prod(shape, dtype=np.int64)) * fields
        elif isinstance(content, list):
            yield len(content), len(content)
        elif isinstance(content, dict) and node.get("__loader__") == "DictNode":
            yield len(content), 0
        elif isinstance(content, str):
            yield len(content), len(content)


def _npy_header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], int]:
    try:
        with archive.open(name) as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unknown .npy version {version}")
    except Exception as exc:  # zipfile, zlib and the header parser raise many types
        raise ValueError(f"{name}: {type(exc).__name__}") from None
    return tuple(int(n) for n in shape), max(1, len(dtype.names or ()))


def instance_based_names() -> set[str]:
    from validation.privacy.membership import INSTANCE_BASED_TYPES

    return {f"{kind.__module__}.{kind.__qualname__}" for kind in INSTANCE_BASED_TYPES}
