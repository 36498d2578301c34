"""Benchmark: the privacy gate's power against planted near-copies and an over-fitted twin.

Usage: python benchmarks/gate_power.py [--quick] [--persons N] [--seeds S]
       [--overfit-persons N] [--epochs E] [--overfit-only]

Simulates a lake, builds the project's own twin (Gaussian copula, not timed), then plants
near-copies of real training persons (their rows below them too, floats and dates jittered
by 2% of a standard deviation; ``tests/support/testkit/gate_power.py``) at 0%, 0.5%, 1%,
2% and 5% of the twin's persons, and runs every privacy check of the gate on each, with
several seeds. Prints on stderr, per share, how often each check failed. Then an over-fitted
twin: CTGAN trained for far too many epochs on a small lake (the builder has no epochs
option, so the benchmark gives its table synthesizers a longer default), beside the clean
twin of the same lake: the over-fitted twin's failure says something only at a size where the
clean one passes (``--overfit-persons``; below about 3,000 persons the gate's intervals refuse
every twin).

The peer is the gate without the new checks (the DCR scores, exact copies, rare categories
and the Anonymeter attacks alone): ``detection`` in the last line gives, per share, the
share of seeds at which the old gate and the whole gate failed the twin.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import progress, quiet

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))  # the planting helper lives in the testkit

import pandas as pd  # noqa: E402

from generators.registers import (  # noqa: E402
    REGISTER_PRIMARY_KEYS,
    REGISTER_RELATIONS,
    simulate_registers,
)
from generators.relations import Relation  # noqa: E402
from generators.twin import TwinBuilder  # noqa: E402
from generators.twin.holdout import split_holdout  # noqa: E402
from testkit.gate_power import (  # noqa: E402
    NEW_CHECKS,
    OLD_CHECKS,
    plant_near_copies,
    privacy_gate,
)

SHARES = (0.0, 0.005, 0.01, 0.02, 0.05)
UNIT, KEY = "bef", "pnr"


Tables = dict[str, pd.DataFrame]


def lake(
    persons: int, tables: tuple[str, ...] | None, seed: int = 7
) -> tuple[Tables, Tables, list[Relation], dict[str, str]]:
    """A simulated lake split into training and held-out persons, as `twin build` splits it."""
    real = simulate_registers(persons=persons, seed=seed)
    if tables:
        real = {name: frame for name, frame in real.items() if name in tables}
    relations = [r for r in REGISTER_RELATIONS if r.child_table in real and r.parent_table in real]
    keys = {t: k for t, k in REGISTER_PRIMARY_KEYS.items() if t in real}
    training, holdout = split_holdout(real, relations, UNIT, 0.2, seed)
    return training, holdout, relations, keys


def build(
    training: Tables,
    relations: list[Relation],
    keys: dict[str, str],
    synthesizer: str = "gaussian_copula",
    epochs: int = 0,
    only_unit: bool = False,
) -> Tables:
    """The project's own twin; ``epochs`` > 0 trains CTGAN/TVAE that long (``only_unit``:
    ``synthesizer`` models the person table alone, with its counts of rows below it, and the
    Gaussian copula every other table)."""
    from generators.twin import fitting, stratified
    from generators.twin.synthesizers import SDVTableSynthesizer

    modules = (fitting, stratified)
    name = "SDVTableSynthesizer"
    fit = fitting._fit
    if epochs:  # the builder has no epochs option: every table synthesizer trains this long
        longer = functools.partial(SDVTableSynthesizer, epochs=epochs)
        for module in modules:
            vars(module)[name] = longer
    if only_unit:  # the table's kind is the second item of a fitting task

        def unit_only(item: tuple[Any, ...]) -> Any:
            kind = synthesizer if item[0] == UNIT else "gaussian_copula"
            return fit((item[0], kind, *item[2:]))

        vars(fitting)["_fit"] = unit_only
    try:
        kind = "gaussian_copula" if only_unit else synthesizer  # codes, context: the copula's
        builder = TwinBuilder(synthesizer=kind, seed=7, unit_table=UNIT)
        return builder.fit(training, relations, keys).sample(scale=1.0, seed=7)
    finally:
        for module in modules:
            vars(module)[name] = SDVTableSynthesizer
        vars(fitting)["_fit"] = fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,500 persons, 1 seed, 1,000 CTGAN epochs"
    )
    parser.add_argument("--persons", type=int, default=None, help="lake size (default 3,000)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per share (default 3)")
    parser.add_argument("--epochs", type=int, default=None, help="CTGAN epochs (default 2000)")
    parser.add_argument(
        "--overfit-persons", type=int, default=300, help="persons of the over-fit lake (300)"
    )
    parser.add_argument(
        "--overfit-tables",
        default="bef,lpr_a_kontakt",
        help="tables of the over-fit lake, comma-separated (bef,lpr_a_kontakt)",
    )
    parser.add_argument(
        "--overfit-unit-only",
        action="store_true",
        help="CTGAN models the person table alone (with its counts of rows below it)",
    )
    parser.add_argument(
        "--overfit-only", action="store_true", help="only the over-fitted twin and its clean peer"
    )
    args = parser.parse_args()
    persons = args.persons or (1_500 if args.quick else 3_000)
    seeds = args.seeds or (1 if args.quick else 3)
    epochs = args.epochs or (1_000 if args.quick else 2_000)
    tables = None  # every table: with one child table a 2%-jittered copy looks like a neighbour
    started = time.perf_counter()

    if not args.overfit_only:
        with quiet():
            training, holdout, relations, keys = lake(persons, tables)
            progress(f"{persons:,} persons simulated; building the twin (Gaussian copula)")
            twin = build(training, relations, keys)
    checks = OLD_CHECKS + NEW_CHECKS
    failed = {share: dict.fromkeys(checks, 0) for share in SHARES}
    gate_old = dict.fromkeys(SHARES, 0)
    gate_all = dict.fromkeys(SHARES, 0)
    baseline = None
    # Per share, the measured values behind the checks (mean over seeds): near-copy share and
    # the upper bounds of the stronger membership attack that the gate holds.
    measured = {
        s: {"near_copies": 0.0, "auc_high": 0.0, "tpr01_high": 0.0, "tpr10_high": 0.0}
        for s in SHARES
    }
    for share in () if args.overfit_only else SHARES:
        for seed in range(seeds):
            planted = plant_near_copies(training, twin, relations, keys, UNIT, KEY, share, seed)
            with quiet():
                passed, privacy = privacy_gate(
                    training, holdout, planted, relations, keys, UNIT, KEY, seed
                )
            if share == 0.0 and seed == 0:
                baseline = privacy["membership"]
            for name in checks:
                failed[share][name] += not passed[name]
            member = privacy["membership"]
            for field, value in (
                ("near_copies", privacy["near_copies"]["share"]),
                ("auc_high", member["auc"]["high"]),
                ("tpr01_high", member["tpr_at_fpr_01"]["high"]),
                ("tpr10_high", member["tpr_at_fpr_10"]["high"]),
            ):
                measured[share][field] += value / seeds
            gate_old[share] += not all(passed[n] for n in OLD_CHECKS)
            gate_all[share] += not all(passed.values())
            progress(
                f"share {share:.3f} seed {seed}: near-copies {privacy['near_copies']['share']:.4f}"
                f", membership AUC {member['auc']['value']:.3f} (high {member['auc']['high']:.3f})"
                f", TPR@1% high {member['tpr_at_fpr_01']['high']:.3f}"
                f", TPR@10% high {member['tpr_at_fpr_10']['high']:.3f}"
                f"; failed {[n for n in checks if not passed[n]]}"
            )

    small = args.overfit_persons
    small_tables = tuple(args.overfit_tables.split(","))
    progress(
        f"over-fitted twin: CTGAN, {epochs:,} epochs on a {small:,}-person lake "
        f"({', '.join(small_tables)})"
    )
    step = time.perf_counter()
    with quiet():
        small_training, small_holdout, small_relations, small_keys = lake(small, small_tables)
        overfit = build(
            small_training, small_relations, small_keys, "ctgan", epochs, args.overfit_unit_only
        )
        overfit_failed, overfit_privacy = failures(
            small_training, small_holdout, overfit, small_relations, small_keys
        )
    say_gate(
        f"over-fitted twin ({time.perf_counter() - step:.0f} s)", overfit_privacy, overfit_failed
    )
    # The clean twin of the same lake: CTGAN's failure tells something only where it passes
    # (a lake too small for the gate's intervals refuses every twin).
    with quiet():
        clean = build(small_training, small_relations, small_keys)
        clean_failed, clean_privacy = failures(
            small_training, small_holdout, clean, small_relations, small_keys
        )
    say_gate("clean twin of the same lake (Gaussian copula)", clean_privacy, clean_failed)
    overfitted = overfit_summary(
        small, small_tables, epochs, overfit_failed, overfit_privacy, clean_failed, clean_privacy
    )
    if args.overfit_only:
        print(json.dumps({"benchmark": "gate_power", "overfitted": overfitted}))
        return

    progress("detection rate per check (share of seeds at which it failed the twin):")
    progress("check".ljust(28) + "".join(f"{s:>8.1%}" for s in SHARES))
    for name in checks:
        progress(name.ljust(28) + "".join(f"{failed[s][name] / seeds:>8.2f}" for s in SHARES))
    progress(
        "gate without the new checks".ljust(28)
        + "".join(f"{gate_old[s] / seeds:>8.2f}" for s in SHARES)
    )
    progress("whole gate".ljust(28) + "".join(f"{gate_all[s] / seeds:>8.2f}" for s in SHARES))
    progress("mean measured values:")
    for field in ("near_copies", "auc_high", "tpr01_high", "tpr10_high"):
        progress(field.ljust(28) + "".join(f"{measured[s][field]:>8.3f}" for s in SHARES))
    planted = [s for s in SHARES if s > 0]
    peer_rate = sum(gate_old[s] for s in planted) / (seeds * len(planted))
    ours_rate = sum(gate_all[s] for s in planted) / (seeds * len(planted))
    print(
        json.dumps(
            {
                "benchmark": "gate_power",
                "persons": persons,
                "seeds": seeds,
                "ours_s": round(time.perf_counter() - started, 1),
                "peer": "gate without membership and near-copy checks",
                "detection": {
                    f"{s:g}": {"peer": gate_old[s] / seeds, "ours": gate_all[s] / seeds}
                    for s in SHARES
                },
                # Detection over every planted share (0.5% to 5%): ours / peer; null when the
                # peer detects nothing. The 0 share is the false-alarm rate, not in the ratio.
                "peer_detection": round(peer_rate, 3),
                "ours_detection": round(ours_rate, 3),
                "ratio": round(ours_rate / peer_rate, 3) if peer_rate else None,
                "per_check": {f"{s:g}": {n: failed[s][n] / seeds for n in checks} for s in SHARES},
                "measured": {
                    f"{s:g}": {k: round(v, 4) for k, v in measured[s].items()} for s in SHARES
                },
                "baseline_membership": {
                    k: baseline[k] for k in ("auc", "tpr_at_fpr_01", "tpr_at_fpr_10")
                }
                if baseline
                else None,
                "overfitted": overfitted,
            }
        )
    )


def failures(
    training: Tables,
    holdout: Tables,
    twin: Tables,
    relations: list[Relation],
    keys: dict[str, str],
) -> tuple[list[str], dict[str, Any]]:
    """The privacy checks the gate fails the twin on, and its privacy evidence."""
    passed, privacy = privacy_gate(training, holdout, twin, relations, keys, UNIT, KEY)
    return [n for n in OLD_CHECKS + NEW_CHECKS if not passed[n]], privacy


def say_gate(what: str, privacy: dict[str, Any], failed: list[str]) -> None:
    """One stderr line: the membership attack's numbers and the checks that failed."""
    member = privacy["membership"]
    progress(
        f"{what}: membership AUC {member['auc']['value']:.3f} ({member['auc']['low']:.3f}-"
        f"{member['auc']['high']:.3f}), TPR@1% {member['tpr_at_fpr_01']['value']:.3f}"
        f", near-copies {privacy['near_copies']['share']:.4f}; failed: {failed or 'nothing'}"
    )


def overfit_summary(
    persons: int,
    tables: tuple[str, ...],
    epochs: int,
    failed: list[str],
    privacy: dict[str, Any],
    clean_failed: list[str],
    clean_privacy: dict[str, Any],
) -> dict[str, Any]:
    """The over-fitted twin beside the clean twin of the same lake, for the JSON line."""
    return {
        "persons": persons,
        "tables": list(tables),
        "epochs": epochs,
        "failed": failed,
        "membership_auc": privacy["membership"]["auc"],
        "near_copies": privacy["near_copies"]["share"],
        "clean_failed": clean_failed,
        "clean_membership_auc": clean_privacy["membership"]["auc"],
    }


if __name__ == "__main__":
    main()
