"""Benchmark: lake ingestion with a contract against a plain pandas read_csv + to_parquet.

A seeded laboratory extract (contract ``lab``: CPR numbers, sampling dates, NPU codes,
values, units, reference limits) is written as a ``;``-separated CSV with made-up CPR
numbers, one row in a thousand broken (a bad date or NPU code). Ours ingests it into an
encrypted tenant lake: reading, every contract check, CPR pseudonymisation, the foreign
key to ``bef`` (ingested first, not timed), quarantine, the ordered write and the audit
hashes. The peer, in the same run on the same file, only reads it with
``pandas.read_csv`` and writes it with ``DataFrame.to_parquet``: no checks, no
pseudonyms, no encryption. Then ours re-ingests the same file (a no-op), runs each of
its stages alone (wall and CPU seconds: what limits the rate), and the register
simulator runs for 100,000 persons.

Progress goes to stderr; the last stdout line is one JSON object:
{"benchmark": "lake", "rows": 5000000, "ours_s": ..., "ours_rows_per_s": ..., "peer": ...,
 "peer_s": ..., "ratio": ..., "target_rows_per_s": 1000000, "stages_s": {...},
 "stages_alone_s": {...},
 "lake_mb": ..., "peer_file_mb": ..., "agreement": {...}, "reingest_s": ...,
 "simulate_persons": 100000, "simulate_s": ...}

Usage: python benchmarks/lake.py [--rows 5000000] [--persons 100000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from _common import progress, timed  # benchmarks/ is first on sys.path when run

from generators.registers import simulate_registers
from testbench.lake import Lake, ingest_file
from testbench.lake.ingest.batch_checking import (
    BATCH_ROWS,
    CheckedTotals,
    RowHashes,
    checked_batches,
)
from testbench.lake.ingest.contracts import get_contract
from testbench.lake.ingest.csv_stream import open_csv_stream
from testbench.lake.ingest.fingerprints import fingerprint
from testbench.lake.ingest.key_checks import parent_keys
from testbench.lake.ingest.planning import plan_columns
from testbench.lake.ingest.row_checks import TableChecker

TODAY = date(2025, 6, 1)
TARGET = 1_000_000  # rows per second, from the issue
# NPU code, unit, lower and upper reference limit, typical value and spread.
ANALYSES = [
    ("NPU27300", "mmol/mol", "20", "48", 42.0, 12.0),  # HbA1c
    ("NPU01807", "mmol/L", "3,0", "6,0", 5.8, 1.5),  # plasma glucose
    ("NPU18016", "umol/L", "45", "105", 85.0, 25.0),  # creatinine
    ("DNK35302", "mL/min", "60", "", 75.0, 20.0),  # eGFR
    ("NPU03429", "mmol/L", "3,5", "4,6", 4.1, 0.4),  # potassium
]


def fake_cprs(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct made-up CPR numbers (born 1925-1999, serials starting 0-3)."""
    born = np.datetime64("1925-01-01") + rng.integers(0, 27_000, count * 2).astype("timedelta64[D]")
    text = pd.to_datetime(born).strftime("%d%m%y").to_numpy(dtype=object)
    serial = rng.integers(0, 4000, count * 2)
    cprs = pd.unique(pd.Series(text) + "-" + pd.Series(serial).map("{:04d}".format))
    return np.asarray(cprs[:count], dtype=object)


def _coded(indices: np.ndarray, values: list[str] | np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(indices, pa.int32()), pa.array(values, pa.string())
    )


def write_extracts(folder: Path, rows: int, seed: int) -> tuple[Path, Path, int]:
    """A bef extract of the persons and a lab extract of ``rows`` rows; returns the paths and
    how many lab rows were broken on purpose."""
    rng = np.random.default_rng(seed)
    persons = fake_cprs(max(rows // 20, 10), rng)
    born = pd.to_datetime(pd.Series(persons).str.slice(0, 6), format="%d%m%y")
    born = born.where(born.dt.year < 2000, born - pd.DateOffset(years=100))
    bef = pa.table(
        {
            "pnr": persons,
            "koen": rng.choice(["1", "2"], len(persons)),
            "foed_dag": born.dt.strftime("%Y-%m-%d"),
            "kom": ["751"] * len(persons),  # Aarhus, in
            "reg": ["82"] * len(persons),  # Region Midtjylland
        }
    )
    options = pacsv.WriteOptions(delimiter=";", quoting_style="none")
    pacsv.write_csv(bef, folder / "bef.csv", options)

    analysis = rng.integers(0, len(ANALYSES), rows)
    mean = np.array([a[4] for a in ANALYSES])[analysis]
    spread = np.array([a[5] for a in ANALYSES])[analysis]
    value = np.round(np.clip(rng.normal(mean, spread), 0.1, None), 1)
    value_codes, value_texts = pd.factorize(pd.Series(value).map("{:.1f}".format))
    days = pd.date_range("2015-01-01", "2024-12-31").strftime("%Y-%m-%d").tolist()
    codes = [*(a[0] for a in ANALYSES), "NPU1234"]  # the last one: not an NPU code
    dates = [*days, "31-02-2020"]  # the last one: no such day
    broken = rng.random(rows) < 0.001
    bad_code = broken & (rng.random(rows) < 0.5)
    code_index = np.where(bad_code, len(ANALYSES), analysis)
    date_index = np.where(broken & ~bad_code, len(days), rng.integers(0, len(days), rows))
    lab = pa.table(
        {
            "patient_cpr": _coded(rng.integers(0, len(persons), rows), persons),
            "samplingdate": _coded(date_index, dates),
            "analysiscode": _coded(code_index, codes),
            "value": _coded(value_codes, value_texts.to_numpy(dtype=object)),
            "unit": _coded(analysis, [a[1] for a in ANALYSES]),
            "referenceinterval_lowerlimit": _coded(analysis, [a[2] for a in ANALYSES]),
            "referenceinterval_upperlimit": _coded(analysis, [a[3] for a in ANALYSES]),
        }
    )
    pacsv.write_csv(lab, folder / "lab.csv", options)
    return folder / "bef.csv", folder / "lab.csv", int(broken.sum())


def run_ours(lake: Lake, path: Path) -> tuple[Any, dict[str, float]]:
    """Ingest ``path`` as ``lab``; the report and the seconds each stage took.

    Stages, told apart by ingestion's progress messages: ``read`` (fingerprint and
    re-ingestion check, while reading and checking the first batches has started on the
    guess that the file is UTF-8), ``check_write`` (reading and checking batch i+1 while
    batch i is written) and ``finish`` (keys, quarantine, table hash, commit).
    """
    marks: dict[str, float] = {}

    def note(message: str) -> None:
        marks.setdefault(message.split(" ")[0], time.perf_counter())
        progress(f"  ours: {message}")

    start = time.perf_counter()
    report = ingest_file(lake, "p" * 64, path, "lab", contract="lab", progress=note, today=TODAY)
    end = time.perf_counter()
    stamps = [start, marks.get("checking", start), marks.get("recording", end), end]
    names = ["read", "check_write", "finish"]
    stages = {n: round(b - a, 3) for n, a, b in zip(names, stamps, stamps[1:], strict=False)}
    return report, stages


def stages_alone(lake: Lake, path: Path, scratch: Path) -> dict[str, dict[str, float]]:
    """Each stage of an ingestion run alone, one after the other: wall and CPU seconds.

    What the overlapped run cannot show: how long reading, checking (with the row hashes
    for the table's content hash) and the single-threaded, ordered DuckDB write each take
    with the machine to itself. The write goes to a scratch lake.
    """
    out: dict[str, dict[str, float]] = {}

    def stage(name: str, function: Any, *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        out[name] = {
            "wall": round(time.perf_counter() - wall, 3),
            "cpu": round(time.process_time() - cpu, 3),
        }
        return result

    fp = stage("fingerprint", fingerprint, path)
    stream = open_csv_stream(path, fp.encoding)
    assert stream is not None
    texts = stage("read", lambda: list(stream.texts(BATCH_ROWS)))

    def unsampled(name: str) -> Any:
        raise AssertionError(f"the lab contract names every column, {name} too")

    plan, renames, _ = plan_columns(
        stream.names, unsampled, get_contract("lab"), None, [], path.name, TODAY
    )
    parents = parent_keys(lake, plan.foreign_keys)

    def check() -> list[pa.Table]:
        checker = TableChecker(plan, "p" * 64, parents, TODAY)
        batches = (batch.renamed(renames) for batch in stream.coded(texts))
        return list(checked_batches(batches, checker, CheckedTotals(), RowHashes()))

    batches = stage("code_check", check)

    target = Lake(scratch, "k" * 64)

    def write() -> None:
        with target.transaction() as tx:
            tx.replace_table_batches("lab", batches, uncompressed=plan.cpr_columns)

    stage("write", write)  # the commit included
    stage("table_hash", target.table_hashes, ["lab"])  # read back from disk (not needed now)
    return out


def run_peer(path: Path, out: Path) -> int:
    frame = pd.read_csv(path, sep=";")
    frame.to_parquet(out)
    return len(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows in the lab extract")
    parser.add_argument("--persons", type=int, default=100_000, help="persons to simulate")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke: 100,000 rows, 5,000 persons"
    )
    args = parser.parse_args(argv)
    rows, persons = (100_000, 5_000) if args.quick else (args.rows, args.persons)

    with tempfile.TemporaryDirectory(prefix="bench-lake-") as folder:
        root = Path(folder)
        progress(f"writing a {rows:,}-row lab extract with made-up CPR numbers ...")
        (bef, lab, broken), write_s = timed(write_extracts, root, rows, args.seed)
        progress(f"  {write_s:.1f} s, {lab.stat().st_size / 1e6:,.0f} MB, {broken:,} rows broken")
        lake = Lake(root / "tenant" / "lake.duckdb", "k" * 64)
        ingest_file(lake, "p" * 64, bef, "bef", contract="bef", today=TODAY)

        progress("ours: ingest with the lab contract ...")
        cpu = time.process_time()
        (report, stages), ours_s = timed(run_ours, lake, lab)
        ours_cpu_s = time.process_time() - cpu
        lake_mb = lake.path.stat().st_size / 1e6  # bef and lab, encrypted
        progress(
            f"  {ours_s:.2f} s, {rows / ours_s:,.0f} rows/s, {report.quarantined:,} quarantined, "
            f"lake file {lake_mb:,.0f} MB"
        )
        progress("peer: pandas.read_csv + DataFrame.to_parquet ...")
        cpu = time.process_time()
        peer_rows, peer_s = timed(run_peer, lab, root / "lab.parquet")
        peer_cpu_s = time.process_time() - cpu
        peer_mb = (root / "lab.parquet").stat().st_size / 1e6
        progress(f"  {peer_s:.2f} s, {rows / peer_s:,.0f} rows/s, Parquet file {peer_mb:,.0f} MB")
        again, reingest_s = timed(
            ingest_file, lake, "p" * 64, lab, "lab", contract="lab", today=TODAY
        )
        progress(f"ours again, same file: {reingest_s:.2f} s, unchanged: {again.unchanged}")
        progress("ours, each stage alone (what limits the rate) ...")
        alone = stages_alone(lake, lab, root / "scratch" / "lake.duckdb")
        progress(
            "  "
            + ", ".join(f"{k} {v['wall']:.2f} s ({v['cpu']:.2f} s CPU)" for k, v in alone.items())
        )

    progress(f"simulating {persons:,} persons ...")
    tables, simulate_s = timed(simulate_registers, persons=persons, seed=args.seed)
    progress(
        f"  {simulate_s:.1f} s, {sum(map(len, tables.values())):,} rows in {len(tables)} tables"
    )
    result: dict[str, Any] = {
        "benchmark": "lake",
        "rows": rows,
        "contract": "lab",
        "ours_s": round(ours_s, 3),
        "ours_rows_per_s": round(rows / ours_s),
        "peer": "pandas.read_csv+to_parquet",
        "peer_s": round(peer_s, 3),
        "peer_rows_per_s": round(rows / peer_s),
        "ratio": round(peer_s / ours_s, 2),
        "target_rows_per_s": TARGET,
        "target_met": rows / ours_s >= TARGET,
        "ours_cpu_s": round(ours_cpu_s, 3),
        "peer_cpu_s": round(peer_cpu_s, 3),
        "lake_mb": round(lake_mb, 1),
        "peer_file_mb": round(peer_mb, 1),
        "stages_s": stages,
        "stages_alone_s": alone,
        "agreement": {
            "rows_accounted": report.ingested + report.quarantined == rows == peer_rows,
            "broken_rows_quarantined": report.quarantined == broken,
        },
        "reingest_s": round(reingest_s, 3),
        "reingest_unchanged": again.unchanged,
        "simulate_persons": persons,
        "simulate_s": round(simulate_s, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
