"""Latent correlations of a Gaussian copula with category columns.

A Gaussian copula turns a category column into an interval of its latent normal axis
per category and, to fit, spreads each row at random inside its category's interval.
That noise knows nothing of the row's other columns, so the correlation measured on
it is the latent one shrunk by ``Var(E[z | category])``: about 0.5 for a flag on 20%
of rows. A twin fitted that way let the very old go on living (persons aged 90+ in
2015 died in 20% of twin rows against 97% of real ones) because the death flag's
link to the birth date came out at -0.24.

:func:`latent_correlation` estimates the correlation the copula's own model implies
instead, by Gibbs sampling each row's latent value inside its interval given the
row's other columns (the extended rank likelihood of Hoff, 2007, "Extending the rank
likelihood for semiparametric copula estimation", Annals of Applied Statistics 1(1)),
re-estimating the matrix after each sweep. For two columns this is the polyserial or
polychoric correlation; for many it stays one valid correlation matrix, which
separate pairwise corrections do not.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

MASS_SHARE = 0.005  # a value on at least this share of rows is a point mass (an interval)


class EmpiricalMarginal:
    """A copula marginal read off the data: its quantiles, linearly interpolated.

    Replaces SDV's fitted parametric marginal (``truncnorm`` by default), which gave a
    twin 3.5 times too many persons aged 90+ (a birth-date distribution is far from a
    truncated normal). Offers what :mod:`copulas` asks of a univariate (``cdf``,
    ``percent_point``, ``to_dict``).

    The curve has at most ``knots`` points and at least ``rows_per_knot`` rows per
    point, so it follows the shape without passing through every real value of a small
    table. A value held by at least :data:`MASS_SHARE` of rows is a point mass: it owns
    an interval of probability (``masses``), its ``cdf`` is that interval's middle, and
    :class:`~generators.twin.synthesizers.SDVTableSynthesizer` treats it like a
    category, so ties do not shrink correlations either.

    Args:
        values: the column's values (missing ones are left out).
        knots: most points on the quantile curve.
        rows_per_knot: fewest rows behind each point.
        uniform: ignore ``values`` and be exactly uniform on ``[0, 1]`` (the axis of a
            uniformly encoded category, whose interval widths are its shares).
    """

    def __init__(
        self,
        values: np.ndarray,
        knots: int = 1001,
        rows_per_knot: int = 5,
        uniform: bool = False,
    ) -> None:
        values = np.asarray(values, dtype=float)
        values = np.sort(values[np.isfinite(values)])
        self.masses: dict[float, tuple[float, float]] = {}
        if uniform or len(values) == 0:
            self.p = np.array([0.0, 1.0])
            self.q = np.array([0.0, 1.0]) if uniform else np.zeros(2)
        else:
            count = int(np.clip(len(values) // rows_per_knot, 2, knots))
            self.p = np.linspace(0.0, 1.0, count)
            self.q = np.quantile(values, self.p)
            unique, first = np.unique(values, return_index=True)
            last = np.append(first[1:], len(values))
            for value, lo, hi in zip(unique, first, last, strict=True):
                if hi - lo >= MASS_SHARE * len(values):
                    self.masses[float(value)] = (lo / len(values), hi / len(values))
        # cdf: the quantile curve read backwards, each repeated value at its middle
        unique_q, start = np.unique(self.q, return_index=True)
        end = np.append(start[1:], len(self.q)) - 1
        self._x = unique_q
        self._y = (self.p[start] + self.p[end]) / 2

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if len(self._x) == 1:
            return np.full(x.shape, 0.5)
        out = np.interp(x, self._x, self._y)
        for value, (lo, hi) in self.masses.items():
            out = np.where(x == value, (lo + hi) / 2, out)
        return np.asarray(out)

    def percent_point(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(np.asarray(u, dtype=float), self.p, self.q))

    ppf = percent_point

    def to_dict(self) -> dict[str, object]:
        return {"type": "empirical", "knots": len(self.p)}


def truncated_normal(
    mean: np.ndarray,
    sd: np.ndarray | float,
    lower: np.ndarray,
    upper: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """One draw per row from ``N(mean, sd^2)`` restricted to ``[lower, upper]``.

    Inverse-CDF sampling, worked in the lower tail (where ``ndtr`` keeps its relative
    precision) by mirroring intervals above the mean. An interval too far out for
    double precision gets its bound nearest the mean. Infinite bounds are allowed.
    """
    sd = np.broadcast_to(np.asarray(sd, dtype=float), np.shape(mean))
    a = (lower - mean) / sd
    b = (upper - mean) / sd
    flip = a > 0  # both bounds above the mean: mirror into the lower tail
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    pa, pb = ndtr(a), ndtr(b)
    u = pa + rng.random(np.shape(mean)) * (pb - pa)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = ndtri(u)
    stuck = ~np.isfinite(x) | (pb - pa <= 0)
    x = np.where(stuck, np.where(np.abs(a) < np.abs(b), a, b), np.clip(x, a, b))
    x = np.where(flip, -x, x)
    return np.asarray(mean + sd * x)


def _redraw(
    z: np.ndarray,
    j: int,
    corr: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Redraw column ``j`` of ``z`` in place: normal given the other columns, in its intervals."""
    others = np.delete(np.arange(z.shape[1]), j)
    weights = np.linalg.lstsq(corr[np.ix_(others, others)], corr[others, j], rcond=None)[0]
    variance = max(1.0 - float(corr[j, others] @ weights), 1e-6)
    mean = z[:, others] @ weights
    z[:, j] = truncated_normal(mean, np.sqrt(variance), lower[:, j], upper[:, j], rng)


def _correlation(z: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: no correlation
        corr = np.corrcoef(z, rowvar=False)
    corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
    np.fill_diagonal(corr, 1.0)
    return np.asarray(corr)


def latent_correlation(
    z: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    interval: np.ndarray,
    rng: np.random.Generator,
    sweeps: int = 25,
    keep: int = 5,
) -> np.ndarray:
    """Correlation of the latent normal columns behind ``z``.

    Args:
        z: rows x columns of normal scores; for interval columns, any start values
            inside the row's interval (the copula's own uniform spread will do).
        lower, upper: each cell's interval on the latent axis (ignored where
            ``interval`` is false).
        interval: which columns are categories, known only up to their interval.
        rng: the random source, for reproducible fits.
        sweeps: Gibbs sweeps; each redraws every interval column once.
        keep: the matrix is the mean of the last ``keep`` sweeps' estimates.

    Returns:
        A columns x columns correlation matrix with unit diagonal.
    """
    z = np.array(z, dtype=float, copy=True)
    columns = np.flatnonzero(interval)
    corr = _correlation(z)
    if len(columns) == 0 or z.shape[0] < 3:
        return corr
    spread = z.std(axis=0)
    scaled = (z - z.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    kept: list[np.ndarray] = []
    for sweep in range(sweeps):
        for j in columns:
            _redraw(z, j, corr, lower, upper, rng)
            # Only column j changed: update its row and column of the matrix.
            column = z[:, j] - z[:, j].mean()
            scaled[:, j] = column / (column.std() or 1.0)
            row = np.clip(scaled.T @ scaled[:, j] / len(z), -1.0, 1.0)
            corr[j, :] = row
            corr[:, j] = row
            corr[j, j] = 1.0
        if sweep >= sweeps - keep:
            kept.append(corr.copy())
    result = np.mean(kept, axis=0)
    np.fill_diagonal(result, 1.0)
    return np.asarray(result)


def conditional_latent(
    z: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    interval: np.ndarray,
    corr: np.ndarray,
    rng: np.random.Generator,
    sweeps: int = 6,
) -> np.ndarray:
    """Latent values of interval columns drawn given the row's other columns.

    What a copula fitted with :func:`latent_correlation` conditions a child row on:
    a parent's category is not a point on its axis but an interval, and where in it
    the parent sits depends on the parent's other columns. Gibbs sweeps with the
    fixed matrix ``corr``; the arguments are as for :func:`latent_correlation`.
    """
    z = np.array(z, dtype=float, copy=True)
    columns = np.flatnonzero(interval)
    if len(columns) == 0 or z.shape[1] < 2:
        return z
    for _ in range(sweeps):
        for j in columns:
            _redraw(z, j, corr, lower, upper, rng)
    return z
