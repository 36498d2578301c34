"""Benchmark: the hip-fracture example's validation job on Ray, 2 CPUs against 1 CPU.

Usage: python benchmarks/validate.py [--quick] [--persons N]

Runs the example spec (examples/hip-fracture-home-care) on a simulated lake: 5 folds x
3 regimes (TRTR, TSTR, TSTS) x 500 bootstrap replicates, the same job on a local Ray with
2 CPUs and with 1 CPU, in one run. Target (issue 6): speedup at least 1.7, total under
5 minutes. The twin side is a second simulated lake (another seed) standing in for a twin:
this benchmark times the job's compute, not the twin's quality. Ray's start-up is timed
apart and not counted in the speedup (it is paid once per job, not per task).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from _common import progress, quiet, timed

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common.executor import RayExecutor  # noqa: E402
from generators.registers import simulate_registers  # noqa: E402
from testbench.jobs.run import validation_job  # noqa: E402
from testbench.jobs.validation import plan_splits, run_validation_job  # noqa: E402
from testbench.lake.cohort import query_frames  # noqa: E402
from testbench.spec import load_spec, resolve_cohort, run_cohort_sql  # noqa: E402

SPEC = REPO / "examples" / "hip-fracture-home-care" / "spec.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 persons, 100 bootstraps")
    parser.add_argument("--persons", type=int, default=None, help="lake size (default 50,000)")
    args = parser.parse_args()
    persons = args.persons or (20_000 if args.quick else 50_000)
    bootstrap = 100 if args.quick else 500
    started = time.perf_counter()

    spec = load_spec(SPEC)
    progress(f"simulating {persons:,} persons twice (real, and a stand-in twin)")
    with quiet():
        real_tables = simulate_registers(persons, seed=7)
        twin_tables = simulate_registers(persons, seed=8)
    real = resolve_cohort(spec, run_cohort_sql(spec, functools.partial(query_frames, real_tables)))
    twin = resolve_cohort(spec, run_cohort_sql(spec, functools.partial(query_frames, twin_tables)))
    job = replace(validation_job(spec, real.features, min_count=5), bootstrap=bootstrap)
    splits = plan_splits(job, real.frame, twin.frame)
    progress(f"cohort: {len(real.frame)} real and {len(twin.frame)} stand-in twin rows")

    seconds: dict[int, float] = {}
    init: dict[int, float] = {}
    reports = {}
    for cpus in (2, 1):
        executor = RayExecutor(num_cpus=cpus)
        _, init[cpus] = timed(executor.map, _noop, [0])  # start Ray outside the timing
        progress(f"job on Ray with {cpus} CPU(s)")
        try:
            with quiet():
                result, seconds[cpus] = timed(run_validation_job, job, splits, executor, progress)
        finally:
            executor.shutdown()
        reports[cpus] = {r: res.report for r, res in result.items()}
        progress(f"  {seconds[cpus]:.1f} s (Ray start-up {init[cpus]:.1f} s)")
    same = reports[1] == reports[2]
    total = time.perf_counter() - started
    auroc = {r: round(rep.auroc.estimate, 3) for r, rep in reports[2].items()}  # type: ignore[union-attr]
    print(
        json.dumps(
            {
                "benchmark": "validate",
                "persons": persons,
                "cohort_rows": len(real.frame),
                "folds": job.folds,
                "regimes": len(splits),
                "bootstrap": bootstrap,
                "ours_s": round(seconds[2], 2),
                "peer": "the same job on Ray with 1 CPU",
                "peer_s": round(seconds[1], 2),
                "ratio": round(seconds[1] / seconds[2], 2),
                "target_ratio": 1.7,
                "ray_startup_s": round(init[2], 2),
                "total_s": round(total, 1),
                "target_total_s": 300,
                "agreement": {"identical_reports": same, "auroc": auroc},
            }
        )
    )


def _noop(value: int) -> int:
    return value


if __name__ == "__main__":
    main()
