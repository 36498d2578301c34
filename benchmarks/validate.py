"""Benchmark: the hip-fracture example's validation job, the model code sandboxed or not.

Usage: python benchmarks/validate.py [--quick] [--persons N] [--repeat R] [--scaling]

Runs the example spec (examples/hip-fracture-home-care) on a simulated lake: 5 folds x
3 regimes (TRTR, TSTR, TSTS) x 500 bootstrap replicates on a local Ray with 2 CPUs, with the
SME's model code in the sandbox (ours) and in the Ray workers themselves (the peer: what an
operator's --unsandboxed does), alternating R times. Target (issue 15): the sandbox adds at
most 15% on the 50,000-person example. ``--scaling`` also times the unsandboxed job on 1 CPU
(issue 6's target: speedup at least 1.7). The twin side is a second simulated lake (another
seed) standing in for a twin: this benchmark times the job's compute, not the twin's
quality. Ray's start-up is timed apart and not counted (it is paid once per job).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from _common import progress, quiet, timed

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common.executor import RayExecutor  # noqa: E402
from generators.registers import simulate_registers  # noqa: E402
from testbench.jobs.run import validation_job  # noqa: E402
from testbench.jobs.sandbox import SandboxLimits  # noqa: E402
from testbench.jobs.tasks import Containment  # noqa: E402
from testbench.jobs.validation import plan_splits, run_validation_job  # noqa: E402
from testbench.lake.cohort import query_frames  # noqa: E402
from testbench.spec import load_spec, resolve_cohort, run_cohort_sql  # noqa: E402

SPEC = REPO / "examples" / "hip-fracture-home-care" / "spec.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 persons, 100 bootstraps")
    parser.add_argument("--persons", type=int, default=None, help="lake size (default 50,000)")
    parser.add_argument("--repeat", type=int, default=1, help="alternating runs of each (1)")
    parser.add_argument("--scaling", action="store_true", help="also time 1 CPU (unsandboxed)")
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
    in_process = Containment(limits=None)
    job = replace(validation_job(spec, real.features, 5, in_process), bootstrap=bootstrap)
    splits = plan_splits(job, real.frame, twin.frame)
    progress(f"cohort: {len(real.frame)} real and {len(twin.frame)} stand-in twin rows")

    sandboxed = replace(job, containment=Containment(SandboxLimits(), scratch=None))
    unsandboxed = replace(job, containment=Containment(limits=None))
    runs: dict[str, list[float]] = {"sandbox": [], "unsandboxed": []}
    reports: dict[str, Any] = {}
    executor = RayExecutor(num_cpus=2)
    try:
        _, init = timed(executor.map, _noop, [0])  # start Ray outside the timing
        for _ in range(args.repeat):
            for name, which in (("sandbox", sandboxed), ("unsandboxed", unsandboxed)):
                progress(f"job on Ray with 2 CPUs, model code {name}")
                with quiet():
                    result, took = timed(run_validation_job, which, splits, executor, progress)
                runs[name].append(took)
                reports[name] = {r: res.report for r, res in result.items()}
                progress(f"  {took:.1f} s")
    finally:
        executor.shutdown()
    scaling = None
    if args.scaling:
        one = RayExecutor(num_cpus=1)
        try:
            timed(one.map, _noop, [0])
            with quiet():
                _, single = timed(run_validation_job, unsandboxed, splits, one, progress)
        finally:
            one.shutdown()
        scaling = round(single / min(runs["unsandboxed"]), 2)
    ours, peer = statistics.median(runs["sandbox"]), statistics.median(runs["unsandboxed"])
    total = time.perf_counter() - started
    auroc = {r: round(rep.auroc.estimate, 3) for r, rep in reports["sandbox"].items()}
    print(
        json.dumps(
            {
                "benchmark": "validate",
                "persons": persons,
                "cohort_rows": len(real.frame),
                "folds": job.folds,
                "regimes": len(splits),
                "bootstrap": bootstrap,
                "ours": "model code in the sandbox (Ray, 2 CPUs)",
                "ours_s": round(ours, 2),
                "peer": "the same job, model code unsandboxed (Ray, 2 CPUs)",
                "peer_s": round(peer, 2),
                "runs": {k: [round(v, 2) for v in vs] for k, vs in runs.items()},
                "ratio": round(ours / peer, 3),
                "sandbox_overhead": round(ours / peer - 1, 3),
                "target_overhead": 0.15,
                "speedup_2_over_1_cpu": scaling,
                "ray_startup_s": round(init, 2),
                "total_s": round(total, 1),
                "agreement": {
                    "identical_reports": reports["sandbox"] == reports["unsandboxed"],
                    "auroc": auroc,
                },
            }
        )
    )


def _noop(value: int) -> int:
    return value


if __name__ == "__main__":
    main()
