"""Date columns keep their real shape in the default copula (a birth date is not a normal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.twin.latent import EmpiricalMarginal
from generators.twin.synthesizers import SDVTableSynthesizer

DAY = pd.Timedelta(days=1)


def _persons(n: int = 6000) -> pd.DataFrame:
    """A population shaped like a register's: even up to 80, then few (2.5% over 90)."""
    rng = np.random.default_rng(3)
    age = np.concatenate([rng.uniform(0, 80, int(n * 0.95)), rng.uniform(80, 100, n // 20)])
    born = pd.Timestamp("2020-01-01") - np.round(age * 365.25) * DAY
    return pd.DataFrame({"born": born, "sex": rng.choice(["F", "M"], len(born))})


def _over_90(frame: pd.DataFrame) -> float:
    return float(((pd.Timestamp("2020-01-01") - frame["born"]).dt.days / 365.25 > 90).mean())


def test_the_share_of_the_oldest_stays_close_to_the_lake() -> None:
    real = _persons()
    model = SDVTableSynthesizer().fit(real, {"sex"})
    assert any(isinstance(u, EmpiricalMarginal) for u in model.model_._model.univariates)
    drawn = model.sample(len(real), seed=1)
    assert abs(_over_90(drawn) - _over_90(real)) < 0.008, (_over_90(real), _over_90(drawn))
    # SDV's truncated normal alone misses it (the reason for the option).
    plain = SDVTableSynthesizer(empirical_dates=False).fit(real, {"sex"}).sample(len(real), 1)
    assert abs(_over_90(plain) - _over_90(real)) >= 0.015, (_over_90(real), _over_90(plain))
