"""Benchmark: exact DCR (validation.privacy) against SDMetrics' DCRBaselineProtection.

Both compute DCRBaselineProtection on the same seeded 12-column health-like table (numeric,
categorical, boolean and datetime columns, some missing values) and the same random baseline
(both seeded alike), in the same run; the script prints the speed ratio and how far the scores
and medians differ. Then it times ours alone on 100,000 x 100,000 rows: one DCR search, and the
whole baseline-protection metric (two searches).

Progress goes to stderr; the last stdout line is one JSON object:
{"benchmark": "dcr", "rows": 10000, "ours_s": ..., "peer": "sdmetrics", "peer_s": ...,
 "ratio": ..., "agreement": {"max_abs_diff": ...}, "large_rows": 100000, "large_ours_s": ...,
 "large_baseline_s": ...}

Usage: python benchmarks/dcr.py [--rows 10000] [--large-rows 100000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _common import progress, timed  # benchmarks/ is first on sys.path when run

from validation.privacy import dcr, dcr_baseline_protection

METADATA: dict[str, Any] = {
    "columns": {
        "pnr": {"sdtype": "id"},  # pseudonymised person id: never compared
        "koen": {"sdtype": "categorical"},  # sex
        "reg": {"sdtype": "categorical"},  # region code 81-85
        "kom": {"sdtype": "categorical"},  # municipality code
        "civst": {"sdtype": "categorical"},  # civil status
        "diag_kode": {"sdtype": "categorical"},  # ICD-10 action diagnosis
        "ryger": {"sdtype": "boolean"},  # smoker
        "alder": {"sdtype": "numerical"},  # age in years
        "bmi": {"sdtype": "numerical"},
        "systolisk_bt": {"sdtype": "numerical"},  # systolic blood pressure
        "indlagt_dato": {"sdtype": "datetime"},  # admission date
        "liggetid": {"sdtype": "numerical"},  # length of stay in days
        "antal_recepter": {"sdtype": "numerical"},  # prescriptions in the last year
    }
}
_DIAGNOSES = [f"D{letter}{number:02d}" for letter in "EIJKS" for number in range(0, 100, 12)]


def health_table(rows: int, seed: int) -> pd.DataFrame:
    """A seeded table shaped like a hospital-contact extract (12 compared columns + id)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 18, rows).clip(0, 104)
    diagnosis_weights = 1.0 / np.arange(1, len(_DIAGNOSES) + 1)
    table = pd.DataFrame(
        {
            "pnr": rng.permutation(10 * rows)[:rows],
            "koen": rng.choice(["M", "K"], rows),
            "reg": rng.choice([81, 82, 83, 84, 85], rows, p=[0.1, 0.23, 0.21, 0.31, 0.15]),
            "kom": rng.integers(101, 861, rows) // 8 * 8,
            "civst": rng.choice(["U", "G", "F", "E", "P"], rows, p=[0.3, 0.45, 0.12, 0.1, 0.03]),
            "diag_kode": rng.choice(
                _DIAGNOSES, rows, p=diagnosis_weights / diagnosis_weights.sum()
            ),
            "ryger": rng.random(rows) < 0.18,
            "alder": age.round().astype(int),
            "bmi": rng.normal(26 + age / 60, 4.5, rows).round(1),
            "systolisk_bt": rng.normal(118 + age / 2.5, 16, rows).round(),
            "indlagt_dato": pd.Timestamp("2018-01-01")
            + pd.to_timedelta(rng.integers(0, 7 * 365, rows), unit="D"),
            "liggetid": np.minimum(rng.geometric(0.25, rows) - 1, 120),
            "antal_recepter": rng.poisson(1 + age / 15),
        }
    )
    table.loc[rng.random(rows) < 0.06, "bmi"] = np.nan
    table.loc[rng.random(rows) < 0.03, "systolisk_bt"] = np.nan
    table.loc[rng.random(rows) < 0.02, "civst"] = None
    return table


def run_sdmetrics(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int) -> dict[str, Any]:
    """SDMetrics' DCRBaselineProtection, seeded so its random baseline equals ours."""
    from sdmetrics.single_table import DCRBaselineProtection

    previous_seed = DCRBaselineProtection._seed
    DCRBaselineProtection._seed = seed  # values of the random baseline
    np.random.seed(seed)  # its missing-value masks come from numpy's global generator
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(DCRBaselineProtection.compute_breakdown(real, synthetic, METADATA, "table"))
    finally:
        DCRBaselineProtection._seed = previous_seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the peer comparison")
    parser.add_argument(
        "--large-rows", type=int, default=100_000, help="rows of the ours-only run (0 skips it)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke: a 2,000-row comparison only"
    )
    args = parser.parse_args(argv)
    rows, large_rows = (2_000, 0) if args.quick else (args.rows, args.large_rows)

    real = health_table(rows, args.seed)
    synthetic = health_table(rows, args.seed + 1)
    # Warm-up on a tiny table: loads (or, on a fresh checkout, compiles) the numba kernel, a
    # one-off per process that is not part of a DCR computation.
    _, warmup_s = timed(dcr_baseline_protection, real[:50], synthetic[:50], METADATA, seed=0)
    progress(f"warm-up (numba kernel load/compile): {warmup_s:.2f} s")

    ours, ours_s = timed(dcr_baseline_protection, real, synthetic, METADATA, seed=args.seed)
    progress(f"ours, {rows:,} x {rows:,}: {ours_s:.2f} s, score {ours.score:.6f}")
    progress(f"sdmetrics, {rows:,} x {rows:,}: running (minutes at 10,000 rows) ...")
    peer, peer_s = timed(run_sdmetrics, real, synthetic, args.seed)
    progress(f"sdmetrics: {peer_s:.2f} s, score {peer['score']:.6f}")
    mine = ours.as_sdmetrics_breakdown()
    diffs = [
        abs(mine["score"] - peer["score"]),
        *(
            abs(mine["median_DCR_to_real_data"][key] - peer["median_DCR_to_real_data"][key])
            for key in ("synthetic_data", "random_data_baseline")
        ),
    ]
    result: dict[str, Any] = {
        "benchmark": "dcr",
        "rows": rows,
        "columns": 12,
        "ours_s": round(ours_s, 3),
        "peer": "sdmetrics",
        "peer_s": round(peer_s, 3),
        "ratio": round(peer_s / ours_s, 1),
        "agreement": {"max_abs_diff": float(max(diffs)), "score": ours.score},
        "warmup_s": round(warmup_s, 3),
    }
    if large_rows:
        real = health_table(large_rows, args.seed)
        synthetic = health_table(large_rows, args.seed + 1)
        progress(f"ours alone, DCR {large_rows:,} x {large_rows:,} ...")
        distances, large_s = timed(dcr, real, synthetic, METADATA)
        progress(f"  {large_s:.1f} s, median DCR {np.median(distances):.6f}")
        progress(f"ours alone, DCRBaselineProtection {large_rows:,} x {large_rows:,} ...")
        baseline, baseline_s = timed(
            dcr_baseline_protection, real, synthetic, METADATA, seed=args.seed
        )
        progress(f"  {baseline_s:.1f} s, score {baseline.score:.6f}")
        result.update(
            large_rows=large_rows,
            large_ours_s=round(large_s, 2),
            large_baseline_s=round(baseline_s, 2),
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
