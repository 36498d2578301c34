"""MOSTLY AI's open engine as a benchmark peer, in a virtual environment of its own.

``mostlyai-engine`` needs numpy 2; our environment holds numpy below 1.27 (anonymeter), so
the engine cannot be imported here. :func:`engine_twin` creates its venv on first use under
``benchmarks/.venvs/`` (torch 2.13.0 first, the small CPU wheel; then the pinned engine; then
torchvision and torchaudio are uninstalled, as they do not load with that torch), writes the
real tables as parquet, runs ``peers/mostlyai_engine_run.py`` there and reads the twin back,
typed like the real tables. Not a benchmark itself (``run_all.py`` skips ``_`` files).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from _common import progress

from generators.relations import Relation

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venvs" / "mostlyai-engine"
ENGINE = "mostlyai-engine==2.7.3"
TORCH = "torch==2.13.0"
RUNNER = HERE / "peers" / "mostlyai_engine_run.py"
KEPT = HERE / "results" / "mostlyai-engine"  # its last twins, as it wrote them (gitignored)
MAX_MINUTES = 4.0  # training cap per table, as in the measurement (593 s, 14,000 persons)


def ensure_venv() -> Path:
    """The peer's python, installing the venv on first use (minutes; progress on stderr)."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == ENGINE:
        return python
    progress(f"mostlyai-engine: creating its own venv in {VENV} (once; a few minutes)")
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    for step in (
        ["install", "--quiet", TORCH],
        ["install", "--quiet", ENGINE],
        ["uninstall", "--quiet", "--yes", "torchvision", "torchaudio"],
    ):
        done = subprocess.run([str(python), "-m", "pip", *step], capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"pip {' '.join(step[:1] + step[2:])} failed: {last}")
    stamp.write_text(ENGINE)
    return python


def engine_twin(
    real: Mapping[str, pd.DataFrame],
    relations: list[Relation],
    keys: Mapping[str, str],
    ids: Mapping[str, list[str]],
    order: list[str],
    seed: int,
    max_minutes: float = MAX_MINUTES,
    label: str = "last",
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The engine's twin of ``real`` (typed like it) and its seconds per table.

    Args:
        real: the tables to twin, by name.
        relations: the lake's relations (a tree below the unit table).
        keys: primary key per table.
        ids: every identifier column per table (keys, references, other ids): left out of
            the engine's models but for the links, and drawn as fresh numbers.
        order: tables parents first; the first is the unit (person) table.
        seed: the engine's random state.
        max_minutes: training cap per table.
        label: the engine's output is kept under ``benchmarks/results/mostlyai-engine/<label>``.
    """
    python = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="mostlyai-") as folder:
        base = Path(folder)
        tables, out, work = base / "tables", base / "out", base / "work"
        tables.mkdir()
        for name in order:
            real[name].to_parquet(tables / f"{name}.parquet", index=False)
        schema = {
            "unit": order[0],
            "order": order,
            "relations": [
                [r.child_table, r.child_column, r.parent_table, r.parent_column] for r in relations
            ],
            "keys": dict(keys),
            "ids": {name: list(columns) for name, columns in ids.items()},
            "seed": seed,
            "max_minutes": max_minutes,
        }
        (tables / "schema.json").write_text(json.dumps(schema))
        command = [str(python), str(RUNNER), "--tables", str(tables), "--out", str(out)]
        done = subprocess.run(
            [*command, "--work", str(work)], stdout=subprocess.PIPE, stderr=sys.stderr, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"the engine's run failed (exit {done.returncode})")
        timings = json.loads(done.stdout.strip().splitlines()[-1])
        keep = KEPT / label  # the engine's own output, kept: a run takes many minutes
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(out, keep)
        (keep / "timings.json").write_text(json.dumps(timings))
    return read_kept(label, real), timings


def read_kept(label: str, real: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A kept engine twin (``engine_twin(..., label=)``), typed like the real tables."""
    folder = KEPT / label
    return {
        name: typed_like(pd.read_parquet(folder / f"{name}.parquet"), real[name]) for name in real
    }


_TRUTH = {"true": True, "1": True, "1.0": True, "false": False, "0": False, "0.0": False}


def typed_like(frame: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """The engine's nullable and string columns as the real table's numpy types."""
    out = pd.DataFrame(index=frame.index)
    for column in real.columns:
        values, kind = frame[column], real[column].dtype
        if pd.api.types.is_datetime64_any_dtype(kind):
            out[column] = pd.to_datetime(values, errors="coerce").astype(kind)
        elif pd.api.types.is_bool_dtype(kind):
            truth = values.astype(str).str.strip().str.lower().map(_TRUTH)
            out[column] = truth.astype(bool) if truth.notna().all() else truth.astype(object)
        elif pd.api.types.is_numeric_dtype(kind):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            whole = pd.api.types.is_integer_dtype(kind) and numbers.notna().all()
            out[column] = numbers.astype(kind) if whole else numbers
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return out
