"""Anonymeter's three attacks on a one-row-per-person table: singling out, linkability, inference.

Each attack runs against the real rows the synthesizer was trained on (``real``) and against
real rows it never saw (``holdout``, anonymeter's control rows); the risk is anonymeter's
residual success, the excess of the first over the second, with its confidence interval
(Giomi et al. 2023, after the three risks of the Article 29 Working Party's opinion 05/2014
on anonymisation). Synthetic data that copies real rows scores high; honest synthetic data
scores about 0. Use
:func:`~validation.privacy.person_summary` to get such a table from a multi-table lake.

Determinism: given ``seed``, every attack is reproducible. Anonymeter draws its targets
with pandas' ``sample`` (numpy's global generator, which is seeded here and restored after)
and, with ``size_correction=True``, the singling-out correction with polars' ``sample``
(polars' global seed, set here and not restorable). One draw stays unseeded: the
linkability attack's random-guess baseline uses a fresh ``numpy.random.default_rng()``; it
is only reported (``details["baseline_rate"]``) and never enters the risk, which is
measured against the holdout rows.

Cost: the neighbour searches are anonymeter's brute-force numba loops, compiled on first use
in each process (5 to 10 s), then linear in attacks x synthetic rows x columns.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator
from anonymeter.stats.confidence import EvaluationResults

from common.numbers import to_numbers
from validation.privacy.errors import AttackInputError

# Defaults sized for a 20,000-person table of 27 columns (15,000 real, 5,000 holdout) on 2
# cores, where the three attacks (inference on 3 secrets) took 25 CPU seconds, 30 s wall
# on a busy machine. Anonymeter's singling-out attack builds its queries one Python
# expression at a time, so it gets fewer attacks, and 4 columns per query instead of
# anonymeter's 3, which singles out far more often per attempt on tables of many coarse
# columns (3 needed about 120 attempts per query found on the register table: 70 s).
DEFAULT_ATTACKS = 1000  # linkability and inference
DEFAULT_SINGLING_OUT_ATTACKS = 500
DEFAULT_QUERY_COLUMNS = 4
DEFAULT_MAX_ATTEMPTS = 50_000  # singling-out queries tried before giving up (about 20 s)
DEFAULT_SECRETS = 3  # inference: secret columns tried when none are named

# Anonymeter's own notices that describe the result rather than a fault: kept in
# ``details["notices"]`` instead of being raised as warnings.
_BENIGN_WARNINGS = re.compile(
    r"Attack is as good or worse as baseline|Success of control attack is 100%"
)
_ANONYMETER_LOGGER = "anonymeter"

# Missing text, as a category of its own: anonymeter's label encoder cannot sort None.
MISSING = "<missing>"


@dataclass(frozen=True)
class AttackRisk:
    """Risk from one anonymeter attack, relative to the holdout rows."""

    attack: str  # "singling_out", "linkability" or "inference"
    value: float  # anonymeter's risk in [0, 1]: 0 = no more success on real rows than on holdout
    low: float  # lower end of its confidence interval
    high: float  # upper end of its confidence interval
    n_attacks: int  # attacks made on real rows (and on holdout rows)
    details: Mapping[str, Any]  # success rates, counts, per-secret risks, anonymeter notices


def singling_out_risk(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    n_attacks: int = DEFAULT_SINGLING_OUT_ATTACKS,
    *,
    n_cols: int = DEFAULT_QUERY_COLUMNS,
    mode: str = "multivariate",
    max_attempts: int | None = DEFAULT_MAX_ATTEMPTS,
    size_correction: bool = False,
    seed: int = 0,
    confidence_level: float = 0.95,
) -> AttackRisk:
    """Singling-out risk: predicates built on the synthetic rows that match exactly one real person.

    Whether a predicate singles out depends on how many rows it is tried on, so the attack
    on ``real`` and on ``holdout`` must be compared at one size. By default the larger of the
    two is cut (seeded sample) to the smaller's rows. Anonymeter's alternative,
    ``size_correction=True``, keeps all of ``real`` and extrapolates the holdout successes
    with a fitted curve; on register tables (15,000 real, 5,000 holdout persons) that
    extrapolation gave independent synthetic data of the same population a risk of 0.15 to 0.18
    where equal sizes give 0.0. The price of equal sizes: synthetic data copying ``real`` scores
    about ``len(holdout) / len(real)`` of what it would (0.22 to 0.27 there, against 0.996),
    because most copied persons are not in the cut sample; still far above honest synthetic data.

    Args:
        real: real rows the synthesizer was trained on, one per person, without key columns.
        synthetic: the synthetic rows, same columns.
        holdout: real rows the synthesizer never saw (anonymeter's control rows), same
            columns.
        n_attacks: singling-out queries to build; fewer may be found on small tables
            (``details["notices"]`` then says so and the risk is underestimated).
        n_cols: columns per query (multivariate mode); at most the tables' columns.
        mode: "multivariate" (combinations of columns) or "univariate" (rare single values).
        max_attempts: queries tried before stopping short of ``n_attacks`` (None: no limit,
            which on a table of few coarse columns can run for hours).
        size_correction: keep tables of different sizes and use anonymeter's correction
            instead of sampling them to one size (see above).
        seed: makes the queries, the sampling and the size correction reproducible.
        confidence_level: of the interval.

    Returns:
        AttackRisk for "singling_out".

    Raises:
        AttackInputError: columns differ between the tables, or a table is empty.
    """
    real, synthetic, holdout = _prepared(real, synthetic, holdout)
    if not size_correction:
        rows = min(len(real), len(holdout))
        real = real.sample(rows, random_state=seed) if len(real) > rows else real
        holdout = holdout.sample(rows, random_state=seed) if len(holdout) > rows else holdout
    with _quiet_anonymeter() as notices, _seeded(seed):
        evaluator = SinglingOutEvaluator(
            ori=real,
            syn=synthetic,
            control=holdout,
            n_attacks=n_attacks,
            n_cols=min(n_cols, real.shape[1]),  # a narrow person view has fewer columns
            max_attempts=max_attempts,
            seed=seed,
        ).evaluate(mode=mode)
        results = evaluator.results(confidence_level=confidence_level)
    return _risk("singling_out", results, n_attacks, notices)


def linkability_risk(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    aux_cols: tuple[Sequence[str], Sequence[str]] | None = None,
    n_attacks: int = DEFAULT_ATTACKS,
    *,
    n_neighbors: int = 1,
    seed: int = 0,
    n_jobs: int = -1,
    confidence_level: float = 0.95,
) -> AttackRisk:
    """Linkability risk: the synthetic rows join two halves of a real person's record.

    The attacker holds two real sources, one with columns ``aux_cols[0]`` and one with
    ``aux_cols[1]``, and links records whose nearest synthetic rows (Gower distance) coincide.

    Args:
        real, synthetic, holdout: as for :func:`singling_out_risk`.
        aux_cols: the two sources' columns; default the columns split alternately in two.
        n_attacks: real persons attacked (capped at the rows of ``real`` and ``holdout``).
        n_neighbors: a link counts when the two halves share one of this many neighbours.
        seed: seeds the choice of attacked persons.
        n_jobs: threads for the neighbour search (joblib convention, -1 = all cores).
        confidence_level: of the interval.

    Returns:
        AttackRisk for "linkability".

    Raises:
        AttackInputError: columns differ, a table is empty, or ``aux_cols`` names unknown
            columns or leaves one side empty.
    """
    real, synthetic, holdout = _prepared(real, synthetic, holdout)
    columns = list(real.columns)
    if aux_cols is None:
        aux_cols = (columns[0::2], columns[1::2])
    sides = (list(aux_cols[0]), list(aux_cols[1]))
    unknown = sorted({c for side in sides for c in side} - set(columns))
    if unknown or not sides[0] or not sides[1]:
        raise AttackInputError(
            f"aux_cols must be two non-empty lists of the tables' columns; unknown: {unknown}."
        )
    n = min(n_attacks, len(real), len(holdout))
    with _quiet_anonymeter() as notices, _seeded(seed):
        evaluator = LinkabilityEvaluator(
            ori=real,
            syn=synthetic,
            control=holdout,
            aux_cols=sides,
            n_attacks=n,
            n_neighbors=n_neighbors,
        ).evaluate(n_jobs=n_jobs)
        results = evaluator.results(confidence_level=confidence_level)
    return _risk("linkability", results, n, notices)


def inference_risk(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    secret: str | Sequence[str] | None = None,
    aux_cols: Sequence[str] | None = None,
    n_attacks: int = DEFAULT_ATTACKS,
    *,
    regression: bool | None = None,
    seed: int = 0,
    n_jobs: int = -1,
    confidence_level: float = 0.95,
) -> AttackRisk:
    """Inference risk: the synthetic rows reveal a real person's secret from their other columns.

    For each secret column the attacker knows a person's ``aux_cols`` and guesses the secret
    from the nearest synthetic row. With several secrets the highest risk is reported, and every
    secret's risk is in ``details["per_secret"]``.

    Args:
        real, synthetic, holdout: as for :func:`singling_out_risk`.
        secret: the column(s) to infer; default the first ``DEFAULT_SECRETS`` columns.
        aux_cols: what the attacker knows; default every column but the secret.
        n_attacks: persons attacked per secret (capped at the rows of ``real``/``holdout``).
        regression: compare numeric secrets within 5% (True) or exactly (False); default
            True for numeric secret columns, False for all others and for dates (a relative
            tolerance on a date is meaningless). Anonymeter divides by the guess, so a
            numeric secret with negative values should be compared exactly.
        seed: seeds the choice of attacked persons.
        n_jobs: threads for the neighbour search.
        confidence_level: of the interval.

    Returns:
        AttackRisk for "inference" (the riskiest secret's).

    Raises:
        AttackInputError: columns differ, a table is empty, or a secret or auxiliary column
            is unknown.
    """
    original_types = real.dtypes
    real, synthetic, holdout = _prepared(real, synthetic, holdout)
    columns = list(real.columns)
    if secret is None:
        secrets = columns[:DEFAULT_SECRETS]
    else:
        secrets = [secret] if isinstance(secret, str) else list(secret)
    unknown = sorted((set(secrets) | set(aux_cols or ())) - set(columns))
    if unknown or not secrets:
        raise AttackInputError(
            f"Secret and auxiliary columns must be the tables'; unknown: {unknown}."
        )
    per_secret: dict[str, dict[str, Any]] = {}
    worst: tuple[str, AttackRisk] | None = None
    for column in secrets:
        known = [c for c in (aux_cols or columns) if c != column]
        kind = original_types[column]
        numeric = pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind)
        with _quiet_anonymeter() as notices, _seeded(seed):
            evaluator = InferenceEvaluator(
                ori=real,
                syn=synthetic,
                control=holdout,
                aux_cols=known,
                secret=column,
                regression=numeric if regression is None else regression,
                n_attacks=n_attacks,
            ).evaluate(n_jobs=n_jobs)
            results = evaluator.results(confidence_level=confidence_level)
        risk = _risk("inference", results, min(n_attacks, len(real)), notices)
        per_secret[column] = {"value": risk.value, "low": risk.low, "high": risk.high}
        if worst is None or risk.value > worst[1].value:
            worst = (column, risk)
    assert worst is not None  # secrets is not empty
    column, risk = worst
    return replace(risk, details={**risk.details, "secret": column, "per_secret": per_secret})


def _risk(
    attack: str, results: EvaluationResults, n_attacks: int, notices: list[str]
) -> AttackRisk:
    risk = results.risk()
    control_rate = results.control_rate
    return AttackRisk(
        attack=attack,
        value=float(risk.value),
        low=float(risk.ci[0]),
        high=float(risk.ci[1]),
        n_attacks=int(n_attacks),
        details={
            "attack_rate": float(results.attack_rate.value),
            "control_rate": float(control_rate.value) if control_rate is not None else float("nan"),
            "baseline_rate": float(results.baseline_rate.value),
            "n_success": int(results.n_success),
            "n_control": float(results.n_control) if results.n_control is not None else 0.0,
            "n_baseline": int(results.n_baseline),
            "notices": list(notices),
        },
    )


def _prepared(
    real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three tables in the types anonymeter handles, alike column by column.

    Numbers become float (missing = NaN); dates and durations become days (float);
    everything else, booleans included, becomes text with missing as ``MISSING``.
    Anonymeter's label encoder cannot sort None among strings, and its type check refuses
    a column that is numeric in one table and not in another.
    """
    for name, table in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if table.empty:
            raise AttackInputError(f"The {name} table has no rows; attacks need rows in all three.")
    columns = list(real.columns)
    for name, table in (("synthetic", synthetic), ("holdout", holdout)):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise AttackInputError(
                f"The {name} table lacks columns {missing}; pass tables with the real columns."
            )
    real_, synthetic_, holdout_ = (
        pd.DataFrame({c: _attackable(table[c], real[c]) for c in columns})
        for table in (real, synthetic, holdout)
    )
    return real_, synthetic_, holdout_


def _attackable(values: pd.Series, like: pd.Series) -> pd.Series:
    """``values`` as float or text, following the kind of the same column in ``real``."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(like):
        pass  # booleans are categories, not numbers
    elif pd.api.types.is_datetime64_any_dtype(like):
        stamps = pd.to_datetime(values, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        return (stamps - pd.Timestamp(0)) / pd.Timedelta(days=1)
    elif pd.api.types.is_timedelta64_dtype(like):
        return pd.to_timedelta(values, errors="coerce") / pd.Timedelta(days=1)
    elif pd.api.types.is_numeric_dtype(like):
        return to_numbers(values)
    text = values.astype(object).where(values.notna(), MISSING)
    return text.map(str).astype(object)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (restored afterwards) and polars' (not restorable)."""
    state = np.random.get_state()
    np.random.seed(seed)
    pl.set_random_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextmanager
def _quiet_anonymeter() -> Iterator[list[str]]:
    """Collect anonymeter's benign warnings and log warnings; re-raise any other warning."""
    notices: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notices.append(record.getMessage())

    logger = logging.getLogger(_ANONYMETER_LOGGER)
    handler = _Collect(level=logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # keep anonymeter's notices off the caller's log; they are returned
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notices
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    for warning in caught:
        if _BENIGN_WARNINGS.search(str(warning.message)):
            notices.append(str(warning.message))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
