"""Anonymeter attacks on person-level register tables: a copying twin against an honest one.

The "honest" twin is a second simulated population from the same simulator: the same
distribution, none of the same people, which is what a perfect synthesizer would give. The
copying twin is the training rows themselves, shuffled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from generators.registers import REGISTER_RELATIONS, simulate_registers
from validation.privacy import (
    AttackInputError,
    AttackRisk,
    inference_risk,
    linkability_risk,
    person_summary,
    singling_out_risk,
)

SECRETS = ["civst", "lpr_a_diagnose__diag_kode__mode", "lmdb__atc__mode"]


@dataclass(frozen=True)
class Tables:
    ori: pd.DataFrame  # real persons the twins were "trained" on
    control: pd.DataFrame  # real persons held out
    copy: pd.DataFrame  # twin that copies ori
    honest: pd.DataFrame  # twin drawn from the same population, other persons


def person_table(persons: int, seed: int) -> pd.DataFrame:
    """``bef`` joined to the person summary of the simulated lake, without the key."""
    tables = simulate_registers(persons=persons, seed=seed)
    summary = person_summary(
        tables, "bef", "pnr", REGISTER_RELATIONS, code_prefix={"lpr_a_diagnose": 2}
    )
    return tables["bef"].merge(summary, on="pnr").drop(columns="pnr")


def split_tables(persons: int, control_share: float) -> Tables:
    real = person_table(persons, seed=21).sample(frac=1.0, random_state=0)
    n_control = int(persons * control_share)
    ori, control = real.iloc[n_control:], real.iloc[:n_control]
    return Tables(
        ori=ori,
        control=control,
        copy=ori.sample(frac=1.0, random_state=1),
        honest=person_table(len(ori), seed=22),
    )


@pytest.fixture(scope="module")
def tables() -> Tables:
    return split_tables(1_200, control_share=0.5)


def test_person_table_has_mixed_types(tables: Tables) -> None:
    kinds = tables.ori.dtypes
    assert {str(kind) for kind in kinds} >= {"object", "float64", "int64"}
    assert pd.api.types.is_datetime64_any_dtype(kinds["foed_dag"])


@pytest.mark.heavy  # two full anonymeter inference attacks
def test_inference_flags_a_copying_twin_and_passes_an_honest_one(tables: Tables) -> None:
    copied = inference_risk(tables.ori, tables.copy, tables.control, secret=SECRETS, n_attacks=300)
    honest = inference_risk(
        tables.ori, tables.honest, tables.control, secret=SECRETS, n_attacks=300
    )

    assert isinstance(copied, AttackRisk)
    assert copied.attack == "inference"
    assert copied.value > 0.6
    assert copied.low <= copied.value <= copied.high
    assert honest.value < 0.15
    assert set(copied.details["per_secret"]) == set(SECRETS)
    # The reported risk is the worst secret's.
    assert copied.value == max(r["value"] for r in copied.details["per_secret"].values())
    assert copied.details["secret"] in SECRETS
    assert copied.n_attacks == 300


def test_singling_out_flags_a_copying_twin(tables: Tables) -> None:
    copied = singling_out_risk(tables.ori, tables.copy, tables.control, n_attacks=200)
    honest = singling_out_risk(tables.ori, tables.honest, tables.control, n_attacks=200)

    assert copied.attack == "singling_out"
    assert copied.value > 0.6
    assert honest.value < 0.1
    assert honest.high < copied.low


def test_singling_out_with_a_smaller_control_set(tables: Tables) -> None:
    small_control = tables.control.iloc[:200]  # ori has 600 rows

    # Cut to 200 rows each: a third of the copied persons remain, diluting the risk.
    copied = singling_out_risk(tables.ori, tables.copy, small_control, n_attacks=200)
    honest = singling_out_risk(tables.ori, tables.honest, small_control, n_attacks=200)
    assert honest.value < 0.1
    assert copied.value > 0.15

    # Anonymeter's extrapolation keeps all of ori.
    corrected = singling_out_risk(
        tables.ori, tables.copy, small_control, n_attacks=200, size_correction=True
    )
    assert corrected.value > 0.6


def test_linkability_flags_a_copying_twin(tables: Tables) -> None:
    # Two sources an attacker might hold: population data, and a pharmacy/lab extract.
    halves = (
        ["koen", "foed_dag", "kom", "reg", "civst"],
        ["lmdb__apk__mean", "epj_observation__vaerdi__mean", "lab__n", "lmdb__n"],
    )

    copied = linkability_risk(tables.ori, tables.copy, tables.control, aux_cols=halves)
    honest = linkability_risk(tables.ori, tables.honest, tables.control, aux_cols=halves)

    assert copied.attack == "linkability"
    assert copied.value > 0.6
    assert honest.value < 0.1
    # Capped at the control rows.
    assert copied.n_attacks == len(tables.control)
    # Anonymeter's "no better than baseline" warning becomes a notice, not an error.
    assert isinstance(honest.details["notices"], list)


def test_attacks_are_reproducible_for_a_seed(tables: Tables) -> None:
    def run(seed: int) -> list[tuple[float, float, float]]:
        risks = [
            singling_out_risk(tables.ori, tables.honest, tables.control, n_attacks=100, seed=seed),
            inference_risk(
                tables.ori, tables.honest, tables.control, secret="civst", n_attacks=100, seed=seed
            ),
            linkability_risk(tables.ori, tables.copy, tables.control, n_attacks=100, seed=seed),
        ]
        return [(r.value, r.low, r.high) for r in risks]

    assert run(4) == run(4)


def test_global_numpy_state_is_restored(tables: Tables) -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    inference_risk(tables.ori, tables.copy, tables.control, secret="civst", n_attacks=50)
    assert np.random.random() == expected


def test_missing_values_booleans_and_nullable_types_are_handled() -> None:
    rng = np.random.default_rng(0)

    def table(rows: int) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "reg": rng.choice(["81", "84", None], rows),
                "ryger": rng.random(rows) < 0.3,
                "alder": pd.array(rng.integers(20, 90, rows), dtype="Int64"),
                "bmi": rng.normal(26, 4, rows),
                "indlagt": pd.Timestamp("2020-01-01")
                + pd.to_timedelta(rng.integers(0, 900, rows), unit="D"),
            }
        )
        frame.loc[rng.random(rows) < 0.1, "alder"] = pd.NA
        frame.loc[rng.random(rows) < 0.1, "indlagt"] = pd.NaT
        return frame

    ori, control = table(400), table(400)
    for secret in ["reg", "ryger", "alder", "indlagt"]:
        risk = inference_risk(ori, ori, control, secret=secret, n_attacks=100)
        assert 0.0 <= risk.low <= risk.value <= risk.high <= 1.0
    singled_out = singling_out_risk(ori, ori, control, n_attacks=50)
    assert singled_out.value > 0.5


def test_bad_inputs_say_what_to_fix(tables: Tables) -> None:
    with pytest.raises(AttackInputError, match="lacks columns"):
        inference_risk(tables.ori, tables.copy.drop(columns="civst"), tables.control, "koen")
    with pytest.raises(AttackInputError, match="no rows"):
        singling_out_risk(tables.ori, tables.copy.iloc[:0], tables.control)
    with pytest.raises(AttackInputError, match="unknown"):
        linkability_risk(tables.ori, tables.copy, tables.control, aux_cols=(["koen"], ["nope"]))
    with pytest.raises(AttackInputError, match="unknown"):
        inference_risk(tables.ori, tables.copy, tables.control, secret="nope")


@pytest.mark.slow
def test_three_attacks_on_20000_persons_within_budget() -> None:
    """The figure in the report: all three attacks with their defaults on 20,000 persons."""
    big = split_tables(20_000, control_share=0.25)
    timings = {}
    for name, attack in [
        ("singling_out", lambda: singling_out_risk(big.ori, big.copy, big.control)),
        ("linkability", lambda: linkability_risk(big.ori, big.copy, big.control)),
        ("inference", lambda: inference_risk(big.ori, big.copy, big.control, SECRETS)),
    ]:
        start = time.perf_counter()
        risk = attack()
        timings[name] = time.perf_counter() - start
        # Singling out cuts ori to control's 5,000 rows: a third of the copies remain.
        assert risk.value > (0.15 if name == "singling_out" else 0.5), name
    print("anonymeter seconds on 20,000 persons:", {k: round(v, 1) for k, v in timings.items()})
    assert sum(timings.values()) < 90  # about 25 s when the 2 cores are free
