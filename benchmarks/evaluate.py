"""Benchmark: evaluating a twin of a 20,000-person simulated lake (fidelity, privacy, gate).

Usage: python benchmarks/evaluate.py [--quick] [--persons N]

Builds a tenant lake and its twin (not timed), then times `testbench twin evaluate`'s core,
`evaluate_twin`, end to end (target, issue 5: under 2 minutes on 2 cores). The peer is
SDMetrics' own DCROverfittingProtection on the same person-level view, run on a sample
(SDMetrics' cross-merge is quadratic: 10,000 rows take minutes; our evaluation runs it on all
persons), timed beside ours on the same sample: the ratio is SDMetrics' time over ours on
identical input, and the scores must agree.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import progress, quiet, timed

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common.executor import SerialExecutor  # noqa: E402
from testbench.config import Settings  # noqa: E402
from testbench.lake.lake import tenant_lake  # noqa: E402
from testbench.lake.simulated import fill_simulated  # noqa: E402
from testbench.tenants import TenantRegistry  # noqa: E402
from testbench.twins.evaluation import evaluate_twin  # noqa: E402
from testbench.twins.store import build_twin  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 persons, 1,000-row peer")
    parser.add_argument("--persons", type=int, default=None, help="lake size (default 20,000)")
    args = parser.parse_args()
    persons = args.persons or (3_000 if args.quick else 20_000)
    peer_rows = 1_000 if args.quick else 3_000

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        tenant = TenantRegistry(settings).create("bench")
        lake = tenant_lake(tenant)
        progress(f"simulating {persons:,} persons and building their twin (not timed)")
        with quiet():
            fill_simulated(lake, persons, 7, None)
            manifest, build_s = timed(
                build_twin, settings, tenant, lake, executor=SerialExecutor(), progress=None
            )
        progress(f"twin {manifest.twin_id} built in {build_s:.0f} s; evaluating")
        with quiet():
            result, ours_s = timed(evaluate_twin, settings, tenant, lake, manifest.twin_id)
        progress(f"evaluation: {ours_s:.1f} s; parts {result.seconds}")

        from generators.twin.holdout import split_by_units
        from testbench.twins.privacy import compared_views
        from testbench.twins.store import TwinStore, holdout_units

        twin = TwinStore(settings, tenant).tables(manifest.twin_id)
        real = lake.read_tables(list(twin))
        relations = lake.relations()
        held = holdout_units(lake, manifest.twin_id)
        training, holdout = split_by_units(real, relations, "bef", "pnr", held)
        views = compared_views(training, holdout, twin, relations, "bef", "pnr")
        ori, control, syn = (v.head(peer_rows) for v in views)
        progress(
            f"peer: SDMetrics DCR metrics on {peer_rows:,} persons x {len(ori.columns)} columns"
        )
        ours_same_s, peer_s, agreement = _peer(ori, control, syn)

    print(
        json.dumps(
            {
                "benchmark": "evaluate",
                "persons": persons,
                "ours_s": round(ours_s, 1),
                "target_s": 120,
                "parts_s": {k: round(v, 1) for k, v in result.seconds.items()},
                "gate_passed": result.decision.passed,
                "gate_failed": [
                    {"name": c.name, "value": c.value, "high": c.high, "threshold": c.threshold}
                    for c in result.decision.checks
                    if not c.passed
                ],
                "peer": f"sdmetrics DCROverfittingProtection, {peer_rows} persons",
                "peer_s": round(peer_s, 2),
                "ours_same_input_s": round(ours_same_s, 3),
                "ratio": round(peer_s / ours_same_s, 1) if ours_same_s > 0 else None,
                "agreement": agreement,
            }
        )
    )


def _peer(ori, control, syn):
    """SDMetrics and ours on the same sample; seconds of each and their largest difference."""
    import numpy as np
    from sdmetrics.single_table import DCROverfittingProtection

    from validation.privacy import dcr_overfitting_protection
    from validation.privacy.encoding import infer_metadata

    metadata = infer_metadata(ori)
    sdmetrics_metadata = {"tables": {"person": metadata}}
    start = time.perf_counter()
    ours = dcr_overfitting_protection(ori, control, syn, metadata).score
    ours_s = time.perf_counter() - start
    with quiet():
        theirs, peer_s = timed(
            DCROverfittingProtection.compute_breakdown,
            real_training_data=ori,
            synthetic_data=syn,
            real_validation_data=control,
            metadata=sdmetrics_metadata,
            table_name="person",
        )
    diff = abs(float(theirs["score"]) - float(ours))
    return ours_s, peer_s, {"overfitting_score_abs_diff": float(np.round(diff, 9))}


if __name__ == "__main__":
    main()
