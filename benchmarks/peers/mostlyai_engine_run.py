"""Twin a lake with MOSTLY AI's open engine (``mostlyai-engine``, TabularARGN, Apache-2.0).

Runs inside the peer's own virtual environment (numpy 2, pandas 3), never in ours:
``benchmarks/_mostlyai.py`` creates it and calls this file with a folder holding one parquet
file per table and ``schema.json``::

    {"unit": "persons", "order": ["persons", "labs", ...],
     "relations": [["labs", "id", "persons", "id"], ...],   # child, column, parent, key
     "keys": {"persons": "id"}, "ids": {"persons": ["id"], "labs": ["id"]},
     "seed": 0, "max_minutes": null}           # ids: every identifier column of a table

The way MOSTLY AI's own multi-table product does it: the unit table is a flat model; each
table below is a sequential model of its rows per parent, with the parent's row as context
(the real parent to train, the synthetic parent to generate). Key columns other than the
ones linking a table to its parent are left out of the models (and come back as fresh
numbers, as in our twin). Generated keys are strings;
they are renumbered 1..n per table so the twin has whole-number keys like the lake.

Writes one parquet file per synthetic table to ``--out`` and, as the last stdout line, one
JSON object of seconds per table: {"fit_s": {...}, "sample_s": {...}, "engine": "2.7.3"}.
Usage: python mostlyai_engine_run.py --tables DIR --out DIR --work DIR
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from mostlyai import engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=Path, required=True, help="parquet tables, schema.json")
    parser.add_argument("--out", type=Path, required=True, help="where the twin's parquet go")
    parser.add_argument("--work", type=Path, required=True, help="the engine's workspaces")
    args = parser.parse_args()
    schema = json.loads((args.tables / "schema.json").read_text())
    parent_of = {child: (column, parent, key) for child, column, parent, key in schema["relations"]}
    keys = schema["keys"]
    engine.set_random_state(schema["seed"])
    max_minutes = schema.get("max_minutes") or 14400.0

    def modelled(frame: pd.DataFrame, table: str, *, as_context: bool = False) -> pd.DataFrame:
        """The table without identifier columns, but for its own key and (as a target) the
        reference to its parent, which the engine needs to link the rows."""
        keep = {keys.get(table)}
        if not as_context and table in parent_of:
            keep.add(parent_of[table][0])
        return frame.drop(columns=[c for c in schema["ids"].get(table, []) if c not in keep])

    real = {t: pd.read_parquet(args.tables / f"{t}.parquet") for t in schema["order"]}
    twin: dict[str, pd.DataFrame] = {}
    fit_s: dict[str, float] = {}
    sample_s: dict[str, float] = {}
    for table in schema["order"]:
        workspace = args.work / table
        shutil.rmtree(workspace, ignore_errors=True)
        target = modelled(real[table], table)
        started = time.perf_counter()
        if table == schema["unit"]:
            engine.split(
                workspace_dir=workspace,
                tgt_data=target,
                tgt_primary_key=keys[table],
                model_type="TABULAR",
            )
        else:
            column, parent, key = parent_of[table]
            engine.split(
                workspace_dir=workspace,
                tgt_data=target,
                tgt_context_key=column,
                tgt_primary_key=keys.get(table),
                ctx_data=modelled(real[parent], parent, as_context=True),
                ctx_primary_key=key,
                model_type="TABULAR",
            )
        engine.analyze(workspace_dir=workspace)
        engine.encode(workspace_dir=workspace)
        engine.train(workspace_dir=workspace, max_training_time=max_minutes)
        fit_s[table] = time.perf_counter() - started
        started = time.perf_counter()
        if table == schema["unit"]:
            engine.generate(workspace_dir=workspace, sample_size=len(real[table]))
        else:
            engine.generate(
                workspace_dir=workspace, ctx_data=modelled(twin[parent], parent, as_context=True)
            )
        twin[table] = pd.read_parquet(workspace / "SyntheticData")
        sample_s[table] = time.perf_counter() - started
        print(f"{table}: fit {fit_s[table]:.0f} s, sample {sample_s[table]:.0f} s", file=sys.stderr)

    _renumber(twin, schema)
    for table, frame in twin.items():  # identifiers left out of the models: fresh numbers
        for column in schema["ids"].get(table, []):
            if column not in frame:
                frame[column] = range(1, len(frame) + 1)
        twin[table] = frame[list(real[table].columns)]
    args.out.mkdir(parents=True, exist_ok=True)
    for table, frame in twin.items():
        frame.to_parquet(args.out / f"{table}.parquet", index=False)
    print(json.dumps({"fit_s": fit_s, "sample_s": sample_s, "engine": version("mostlyai-engine")}))
    return 0


def _renumber(twin: dict[str, pd.DataFrame], schema: dict) -> None:
    """Generated string keys as 1..n per table, references following them (in place)."""
    for table, key in schema["keys"].items():
        if table not in twin or key not in twin[table]:
            continue
        numbers = {value: i + 1 for i, value in enumerate(twin[table][key].astype(str))}
        twin[table][key] = range(1, len(twin[table]) + 1)
        for child, column, parent, parent_key in schema["relations"]:
            if parent == table and parent_key == key and child in twin:
                twin[child][column] = twin[child][column].astype(str).map(numbers).astype("Int64")


if __name__ == "__main__":
    sys.exit(main())
