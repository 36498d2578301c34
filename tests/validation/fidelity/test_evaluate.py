"""evaluate_fidelity on a twin of a small simulated lake: persons, deaths, contacts, diagnoses."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from generators.twin import TwinBuilder
from generators.twin.metadata import build_metadata
from validation.fidelity import (
    DriftReportMissing,
    FidelityInputError,
    evaluate_fidelity,
)

TABLES = {"bef", "dod", "lpr_a_kontakt", "lpr_a_diagnose"}  # diagnoses: depth 3 from persons


@pytest.fixture(scope="module")
def lake() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict]:
    real = {k: v for k, v in simulate_registers(persons=300, seed=5).items() if k in TABLES}
    relations = [r for r in REGISTER_RELATIONS if r.child_table in TABLES]
    keys = {k: v for k, v in REGISTER_PRIMARY_KEYS.items() if k in TABLES}
    twin = TwinBuilder(seed=2).fit(real, relations, keys).sample(seed=2)
    return real, twin, build_metadata(real, relations, keys)


def test_scores_are_finite_and_the_evidence_is_json(lake) -> None:
    real, twin, metadata = lake
    result = evaluate_fidelity(real, twin, metadata)
    evidence = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    fidelity = evidence["fidelity"]
    assert 0.5 < fidelity["quality"] <= 1 and 0.9 < fidelity["diagnostic"] <= 1
    assert {"Column Shapes", "Column Pair Trends"} <= set(fidelity["properties"])
    assert set(fidelity["tables"]) == TABLES and set(fidelity["drift"]) == TABLES
    assert all(0 <= v <= 1 for v in fidelity["tables"].values())
    assert fidelity["drift"]["bef"]["columns"] == 5  # pnr is a key, never tested
    for column in evidence["columns"]:
        assert column["kind"] in ("categorical", "numeric")
        assert len(column["labels"]) == len(column["real"]) == len(column["twin"])
        assert math.isclose(sum(column["real"]), 1.0)
    columns = {(c["table"], c["column"]) for c in evidence["columns"]}
    assert ("lpr_a_diagnose", "diag_kode") in columns and ("bef", "pnr") not in columns
    assert set(result.timings) == {"quality", "diagnostic", "drift", "columns", "total"}
    assert "<html" in result.drift_html("bef").lower()
    with pytest.raises(DriftReportMissing, match="lpr_a_diagnose"):
        result.drift_html("no_such_table")


def test_a_twin_with_a_broken_column_scores_lower(lake) -> None:
    real, twin, metadata = lake
    broken = {**twin, "bef": twin["bef"].assign(civst="U")}  # every person unmarried
    good = evaluate_fidelity(real, twin, metadata, drift=False)
    bad = evaluate_fidelity(real, broken, metadata, drift=False)
    assert bad.quality.per_table["bef"] < good.quality.per_table["bef"]
    civst = next(c for c in bad.columns if c.column == "civst")
    assert civst.synthetic[civst.labels.index("U")] == 1.0
    assert bad.drift == {}
    with pytest.raises(DriftReportMissing, match="drift=True"):
        bad.drift_html("bef")


def test_a_twin_missing_a_column_is_refused(lake) -> None:
    real, twin, metadata = lake
    with pytest.raises(FidelityInputError, match="koen"):
        evaluate_fidelity(real, {**twin, "bef": twin["bef"].drop(columns="koen")}, metadata)
