"""Benchmark: how well a classifier tells twin persons from real ones, per twin builder variant.

The measure that counts for a twin's realism (issue 17) is the detection AUC on the person view:
each person with a profile of every table below them (0.5: indistinguishable). SDMetrics'
scores stay high while this is near 1. This script simulates the register lake, fits the twin
builder in the variants below on the same lake in the same run, and prints for each its fit and
sample seconds, the person-view AUC with its 95% interval, each table's own AUC and the
features that give the twin away:

* ``independent``: every row drawn on its own (``occasions=False``), the builder before;
* ``default``: occasions, series and panels (``TwinBuilder()``);
* ``profiles``: the default plus hidden person profiles (``TwinBuilder(profiles=True)``).

The twin is scored against the rows it was fitted on (a twin that copied them would score 0.5;
the privacy gate, not this benchmark, asks whether it copies). The issue's target, AUC at most
0.75, is reported (not asserted), as is the default's time over the independent builder's.
The peer named in the issue (MOSTLY AI's engine) is not here yet: see benchmarks/twin.py.

Usage: python benchmarks/detection.py [--persons 5000] [--seed 0] [--quick]
The last stdout line is one JSON object:
{"benchmark": "detection", "persons": 5000, "variants": {...}, "target_auc": 0.75, ...}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from _common import progress, quiet, timed

from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from generators.twin import TwinBuilder
from generators.twin.metadata import build_metadata
from validation.fidelity.detection import lake_detection

VARIANTS: dict[str, dict[str, bool]] = {
    "independent": {"occasions": False},
    "default": {},
    "profiles": {"profiles": True},
}
TARGET_AUC = 0.75


def measure(persons: int, seed: int) -> dict[str, Any]:
    """Every variant on one simulated lake: seconds, detection AUC and telling features."""
    progress(f"simulating {persons:,} persons")
    real = simulate_registers(persons=persons, seed=7)
    metadata = build_metadata(real, REGISTER_RELATIONS, REGISTER_PRIMARY_KEYS)
    out: dict[str, Any] = {}
    for name, options in VARIANTS.items():
        progress(f"{name}: fitting")
        builder = TwinBuilder(seed=seed, **options)
        with quiet():
            _, fit_s = timed(builder.fit, real, REGISTER_RELATIONS, REGISTER_PRIMARY_KEYS)
            twin, sample_s = timed(builder.sample)
            found = lake_detection(real, twin, metadata, seed=seed).to_dict()
        view = found["person_view"] or {}
        out[name] = {
            "fit_s": round(fit_s, 1),
            "sample_s": round(sample_s, 1),
            "persons_auc": view.get("auc"),
            "telling": [f["feature"] for f in view.get("top_features", [])[:5]],
            "tables_auc": {t: d["auc"]["value"] for t, d in found["tables"].items()},
        }
        progress(f"{name}: AUC {out[name]['persons_auc']}, fit {fit_s:.1f} s")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5_000, help="persons in the lake")
    parser.add_argument("--seed", type=int, default=0, help="seed of the twins and the test")
    parser.add_argument("--quick", action="store_true", help="1,000 persons (a smoke test)")
    args = parser.parse_args()
    persons = 1_000 if args.quick else args.persons
    variants = measure(persons, args.seed)

    def auc(name: str) -> float | None:
        value = (variants[name]["persons_auc"] or {}).get("value")
        return float(value) if value is not None else None

    def seconds(name: str) -> float:
        return float(variants[name]["fit_s"] + variants[name]["sample_s"])

    result = {
        "benchmark": "detection",
        "persons": persons,
        "variants": variants,
        "target_auc": TARGET_AUC,
        "target_met": {name: (auc(name) or 1.0) <= TARGET_AUC for name in variants},
        "default_over_independent_time": round(seconds("default") / seconds("independent"), 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
