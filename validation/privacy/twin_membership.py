"""Membership inference against a released twin, and planted near-copies of real persons.

The question a buyer asks: given the twin and data from the same population, can an attacker
tell whether a given person was in the rows the twin was fitted on? Distance scores averaged
over all rows ("The DCR Delusion", 2025) do not answer it: a twin can pass a median DCR test
and still expose a few persons. Two black-box attacks answer it directly; they use only the
released twin (``synthetic``) and the attacker's own sample of the population (``reference``):

- ``density_ratio``, in the manner of DOMIAS (van Breugel et al., AISTATS 2023): a person
  is a member when the twin is denser around them than the population is, score
  ``log p_twin(x) - log p_reference(x)``; both densities are Gaussian kernel estimates on a
  whitened principal-component view of the one-hot encoded person records.
- ``distance``: the same ratio with nearest-neighbour density estimates on the exact DCR
  distance of ``encoding.py``: ``log d_reference(x) - log d_twin(x)``, where ``d`` is the
  distance to the closest record. A near-copy of a member in the twin sends ``d_twin`` to 0.

Who is attacked: members are training persons (``real``), non-members the held-out persons
(``holdout``), which also give the attacker's reference data by cross-fitting. The holdout
is cut at random into halves A and B; with A as the reference, B's persons are scored as
non-members and then the roles swap, so every held-out person is scored once, and never
against a reference that holds them. As many members as held-out persons are drawn at
random from ``real`` and split the same way. The scores of both folds are pooled.

:func:`near_copies` is a tail check beside them: the share of twin persons closer to a
training person than 1 in 100 real persons the twin never saw are (half the holdout's 1st
percentile of DCR to training). A median cannot see 1% of planted copies; this share can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KernelDensity

from validation.privacy.encoding import MISSING_CODE, EncodedTables, encode_tables
from validation.privacy.errors import AttackInputError
from validation.privacy.nearest import nearest_sums

METHODS = ("density_ratio", "distance")
# False-positive rates at which the attack's true-positive rate is reported.
FPR_LEVELS = (0.01, 0.10)
# Principal components of the density view: kernel estimates lose their power above ~10.
MAX_COMPONENTS = 8
# One-hot columns per categorical column at most (the most frequent values in ``real``).
MAX_CATEGORIES = 20
# Near-copy threshold: this share of the holdout's DCR quantile below...
NEAR_COPY_QUANTILE = 0.01
# ... scaled by this factor, so that honest twins (as close as unseen real persons) rarely
# fall under it while a jittered copy (DCR near 0) always does.
NEAR_COPY_FACTOR = 0.5
# Smallest holdout that gives the cross-fitted attack 2 x 10 non-members.
MIN_HOLDOUT = 20


@dataclass(frozen=True)
class Interval:
    """An estimate with its bootstrap 95% interval."""

    value: float  # point estimate on all attacked persons
    low: float  # 2.5th percentile of the bootstrap estimates
    high: float  # 97.5th percentile of the bootstrap estimates

    def to_dict(self) -> dict[str, float]:
        """``{"value", "low", "high"}``, rounded to 6 places (the gate's estimate shape)."""
        return {k: round(float(v), 6) for k, v in vars(self).items()}


@dataclass(frozen=True)
class MembershipAttack:
    """How well one attack tells training persons from persons the twin never saw."""

    method: str  # "density_ratio" or "distance"
    auc: Interval  # ROC AUC of "higher score = member"; 0.5 = no better than a coin
    tpr_at_fpr_01: Interval  # members found when 1% of non-members are wrongly accused
    tpr_at_fpr_10: Interval  # members found when 10% of non-members are wrongly accused
    n_members: int  # training persons attacked
    n_non_members: int  # held-out persons attacked (each once, by cross-fitting)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe evidence shape."""
        return {
            "method": self.method,
            "auc": self.auc.to_dict(),
            "tpr_at_fpr_01": self.tpr_at_fpr_01.to_dict(),
            "tpr_at_fpr_10": self.tpr_at_fpr_10.to_dict(),
            "n_members": self.n_members,
            "n_non_members": self.n_non_members,
        }


@dataclass(frozen=True)
class NearCopies:
    """Twin persons suspiciously close to a training person."""

    share: float  # twin persons with DCR to training below ``threshold`` / twin persons
    threshold: float  # NEAR_COPY_FACTOR x the holdout's NEAR_COPY_QUANTILE of DCR to training
    holdout_share: float  # the same share among held-out persons (about 0.5-1% by design)


def membership_attack(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    method: str = "density_ratio",
    *,
    max_members: int = 5000,
    bootstrap: int = 200,
    seed: int = 0,
) -> MembershipAttack:
    """Run one black-box membership attack on a twin (see the module docstring).

    Args:
        real: the training persons the twin was fitted on (person-level view).
        synthetic: the twin's persons, same columns.
        holdout: real persons the twin never saw, same columns: non-members and the
            attacker's reference data, cross-fitted.
        method: "density_ratio" (DOMIAS-style kernel densities) or "distance" (DCR ratio).
        max_members: held-out persons attacked at most (and as many members); larger holdouts
            are sampled.
        bootstrap: bootstrap resamples for the intervals (members and non-members resampled
            separately).
        seed: seeds the split, the samples and the bootstrap.

    Returns:
        AUC and TPR at FPR 1% and 10%, each with its interval.

    Raises:
        AttackInputError: unknown method, a holdout below ``MIN_HOLDOUT`` persons, or no
            column the tables share.
    """
    if method not in METHODS:
        raise AttackInputError(f"unknown attack {method!r}; choose one of {', '.join(METHODS)}")
    if len(holdout) < MIN_HOLDOUT or len(real) < MIN_HOLDOUT or len(synthetic) < 2:
        raise AttackInputError(
            f"the membership attack needs at least {MIN_HOLDOUT} training and held-out persons "
            f"and 2 twin persons; got {len(real)}, {len(holdout)} and {len(synthetic)}: "
            "evaluate a larger lake"
        )
    rng = np.random.default_rng(seed)
    n = min(len(holdout), len(real), max_members)
    outsiders = holdout.iloc[rng.permutation(len(holdout))[:n]].reset_index(drop=True)
    members = real.iloc[rng.permutation(len(real))[:n]].reset_index(drop=True)
    try:
        encoded = encode_tables(real, [synthetic, outsiders, members])
    except ValueError as err:
        raise AttackInputError(f"the twin cannot be attacked: {err}") from None
    syn, out, mem = encoded.synthetic_tables
    score = _density_scores if method == "density_ratio" else _distance_scores
    half = n // 2
    folds = ((slice(0, half), slice(half, n)), (slice(half, n), slice(0, half)))
    member_scores, outsider_scores = [], []
    for reference, attacked in folds:
        features = _features(encoded) if method == "density_ratio" else None
        scores = score(
            syn, out[reference], np.vstack([mem[attacked], out[attacked]]), encoded, features
        )
        size = attacked.stop - attacked.start
        member_scores.append(scores[:size])
        outsider_scores.append(scores[size:])
    members_s, outsiders_s = np.concatenate(member_scores), np.concatenate(outsider_scores)
    estimates = _bootstrap(members_s, outsiders_s, bootstrap, rng)
    return MembershipAttack(method, *estimates, n_members=n, n_non_members=n)


def near_copies(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame) -> NearCopies:
    """Share of twin persons far closer to a training person than unseen persons are.

    Args:
        real: the training persons.
        synthetic: the twin's persons.
        holdout: real persons the twin never saw (they set the threshold).

    Returns:
        The share, its threshold and the holdout's own share below it.

    Raises:
        AttackInputError: empty tables or no shared column.
    """
    if min(len(real), len(synthetic), len(holdout)) == 0:
        raise AttackInputError("near-copy check: training, twin and holdout all need persons")
    try:
        encoded = encode_tables(real, [synthetic, holdout])
    except ValueError as err:
        raise AttackInputError(f"the twin cannot be checked for near-copies: {err}") from None
    twin_d, holdout_d = nearest_sums(
        encoded.real, list(encoded.synthetic_tables), encoded.integer_coded
    )
    twin_d, holdout_d = twin_d[:, 0], holdout_d[:, 0]
    threshold = NEAR_COPY_FACTOR * float(np.quantile(holdout_d, NEAR_COPY_QUANTILE))
    width = len(encoded.columns)
    return NearCopies(
        share=float(np.mean(twin_d < threshold)),
        threshold=threshold / width,  # reported as a DCR (mean over columns)
        holdout_share=float(np.mean(holdout_d < threshold)),
    )


def _distance_scores(
    syn: np.ndarray,
    reference: np.ndarray,
    attacked: np.ndarray,
    encoded: EncodedTables,
    _features: _Features | None,
) -> np.ndarray:
    """``log d_reference - log d_twin``: nearest-neighbour density ratio (1-NN)."""
    floor = 1e-3  # a 1/1000 of one column's range: below it, distances are all "a copy"
    (to_twin,) = nearest_sums(syn, [attacked], encoded.integer_coded)
    (to_reference,) = nearest_sums(reference, [attacked], encoded.integer_coded)
    return np.log(to_reference[:, 0] + floor) - np.log(to_twin[:, 0] + floor)


@dataclass(frozen=True)
class _Features:
    """How encoded person records become continuous features for kernel densities."""

    numeric: np.ndarray  # indices of scaled numeric columns (missing -> indicator + 0.5)
    categories: list[tuple[int, np.ndarray]]  # (column, codes one-hot encoded)


def _features(encoded: EncodedTables) -> _Features:
    numeric = np.flatnonzero(~encoded.integer_coded)
    categories = []
    for j in np.flatnonzero(encoded.integer_coded):
        codes, counts = np.unique(encoded.real[:, j], return_counts=True)
        categories.append((int(j), codes[np.argsort(-counts)][:MAX_CATEGORIES]))
    return _Features(numeric, categories)


def _expand(matrix: np.ndarray, features: _Features) -> np.ndarray:
    parts = []
    for j in features.numeric:
        column = matrix[:, j]
        missing = column == MISSING_CODE
        parts.append(np.where(missing, 0.5, column))
        parts.append(missing.astype(float))
    for j, codes in features.categories:
        parts.append((matrix[:, [j]] == codes[None, :]).astype(float))
    return np.column_stack(parts)


def _density_scores(
    syn: np.ndarray,
    reference: np.ndarray,
    attacked: np.ndarray,
    encoded: EncodedTables,
    features: _Features | None,
) -> np.ndarray:
    """``log p_twin - log p_reference``: Gaussian kernel densities on whitened components."""
    assert features is not None
    syn_x, ref_x, query_x = (_expand(m, features) for m in (syn, reference, attacked))
    # Only the directions the twin varies in: a twin of one constant column (a rare category
    # dropped, the rest one value) gives the attacker nothing, and PCA would divide by zero.
    rank = int(np.linalg.matrix_rank(syn_x - syn_x.mean(axis=0))) if len(syn_x) > 1 else 0
    if rank == 0:
        return np.zeros(len(query_x))
    components = max(1, min(MAX_COMPONENTS, rank, len(ref_x) - 1))
    pca = PCA(n_components=components, whiten=True, random_state=0).fit(syn_x)
    syn_z, ref_z, query_z = (pca.transform(x) for x in (syn_x, ref_x, query_x))
    log_twin = KernelDensity(bandwidth="scott").fit(syn_z).score_samples(query_z)
    log_reference = KernelDensity(bandwidth="scott").fit(ref_z).score_samples(query_z)
    return np.asarray(log_twin - log_reference)


def _bootstrap(
    members: np.ndarray, outsiders: np.ndarray, resamples: int, rng: np.random.Generator
) -> tuple[Interval, Interval, Interval]:
    """AUC and TPR at each FPR level, with percentile intervals over stratified resamples."""
    point = _metrics(members, outsiders)
    draws = np.array(
        [
            _metrics(
                members[rng.integers(0, len(members), len(members))],
                outsiders[rng.integers(0, len(outsiders), len(outsiders))],
            )
            for _ in range(resamples)
        ]
    ).reshape(-1, len(point))
    low, high = np.percentile(draws, [2.5, 97.5], axis=0) if resamples else (point, point)
    auc, tpr01, tpr10 = (
        Interval(float(point[k]), float(low[k]), float(high[k])) for k in range(len(point))
    )
    return auc, tpr01, tpr10


def _metrics(members: np.ndarray, outsiders: np.ndarray) -> np.ndarray:
    labels = np.r_[np.ones(len(members)), np.zeros(len(outsiders))]
    auc = roc_auc_score(labels, np.r_[members, outsiders])
    # The threshold that accuses at most a share ``fpr`` of non-members.
    ordered = np.sort(outsiders)
    tprs = []
    for fpr in FPR_LEVELS:
        allowed = int(np.floor(fpr * len(ordered)))
        cut = ordered[len(ordered) - allowed - 1] if allowed < len(ordered) else -np.inf
        tprs.append(np.mean(members > cut))
    return np.array([auc, *tprs])
