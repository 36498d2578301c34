import numpy as np
import pandas as pd

from validation.fidelity import quality_report

METADATA = {
    "tables": {"t": {"columns": {"x": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}}}},
    "relationships": [],
}


def _table(rng: np.random.Generator, shift: float = 0.0, p: float = 0.5) -> pd.DataFrame:
    n = 400
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "c": np.where(rng.random(n) < p, "a", "b")})


def test_similar_data_scores_higher_than_different_data() -> None:
    rng = np.random.default_rng(0)
    real = {"t": _table(rng)}
    close = quality_report(real, {"t": _table(rng)}, METADATA)
    far = quality_report(real, {"t": _table(rng, shift=3.0, p=0.05)}, METADATA)
    assert close.overall > 0.9
    assert far.overall < close.overall - 0.3
    assert 0 <= far.per_table["t"] < close.per_table["t"] <= 1
    assert "Column Shapes" in close.properties
