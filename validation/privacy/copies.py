"""Copied rows and leaked rare categories: the two plainest ways synthetic data gives away a person.

A synthetic row identical to a real one, or carrying a category value that only a handful of
real rows have, can point straight at a person. Both checks are exact and linear in the rows
(hashing, no pairwise distances), so they run on whole lakes; DCR (``dcr.py``) measures the
softer "close to a real row" case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RareLeakage:
    """Synthetic rows that carry category values which are rare among the real rows."""

    share: float  # synthetic rows with a rare value in at least one compared column / all rows
    per_column: Mapping[
        str, float
    ]  # per compared column: share of synthetic rows with a rare value
    rare_categories: Mapping[str, int]  # per column: how many distinct real values are rare
    n_synthetic: int  # synthetic rows compared
    min_count: int  # a value is rare when 1 <= real rows with it < min_count


def exact_copies(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    ignore: Iterable[str] = (),
) -> float:
    """Share of synthetic rows identical, in every compared column, to at least one real row.

    Values compare as pandas ``==`` would across the two tables (``3 == 3.0``), except that a
    missing value equals a missing one (``NaN``, ``None``, ``NaT`` and ``pd.NA`` alike). Each
    column is factorised over both tables together and each row hashed once, so millions of
    rows take seconds.

    Args:
        real: the real rows.
        synthetic: the synthetic rows.
        columns: columns to compare; default every column the two tables share.
        ignore: columns never compared, normally surrogate keys (``pnr``, ``dw_ek_kontakt``):
            synthetic data has fresh keys, so a copied person would otherwise look new.

    Returns:
        The share in [0, 1]; 0.0 when ``synthetic`` has no rows.

    Raises:
        ValueError: no column left to compare, or a named column missing from a table.
    """
    compared = _compared_columns(real, synthetic, columns, ignore)
    if len(synthetic) == 0:
        return 0.0
    real_hash, synthetic_hash = _row_hashes(real, synthetic, compared)
    # Series.isin uses a hash table: linear, unlike a sort-based search.
    return float(pd.Series(synthetic_hash).isin(real_hash).mean())


def rare_category_leakage(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    min_count: int = 5,
    columns: Sequence[str] | None = None,
) -> RareLeakage:
    """Share of synthetic rows with a category value that fewer than ``min_count`` real rows have.

    A value present in the real data but rarer than the disclosure threshold (5 persons by
    default, as for published cells) identifies a small group; synthetic data that reproduces it
    passes that on. Values the real data does not have at all are not counted: they were
    invented, not leaked. Missing values are not categories.

    Args:
        real: the real rows.
        synthetic: the synthetic rows.
        min_count: the threshold; a value is rare when ``1 <= count < min_count`` in ``real``.
        columns: columns to check; default the text, categorical and boolean columns of
            ``real`` that ``synthetic`` also has.

    Returns:
        RareLeakage with the overall and per-column shares.

    Raises:
        ValueError: ``min_count`` below 1, or a named column missing from a table.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}.")
    if columns is None:
        columns = [c for c in real.columns if c in synthetic.columns and _is_categorical(real[c])]
    else:
        _require_columns(real, synthetic, columns)
    any_rare = np.zeros(len(synthetic), dtype=bool)
    per_column: dict[str, float] = {}
    rare_categories: dict[str, int] = {}
    for column in columns:
        counts = real[column].value_counts(dropna=True)
        rare = counts.index[counts < min_count]
        hit = (
            synthetic[column].isin(rare).to_numpy(dtype=bool) & synthetic[column].notna().to_numpy()
        )
        any_rare |= hit
        per_column[str(column)] = float(hit.mean()) if len(synthetic) else 0.0
        rare_categories[str(column)] = len(rare)
    return RareLeakage(
        share=float(any_rare.mean()) if len(synthetic) else 0.0,
        per_column=per_column,
        rare_categories=rare_categories,
        n_synthetic=len(synthetic),
        min_count=min_count,
    )


def _is_categorical(values: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(values)
        or isinstance(values.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(values)
        or pd.api.types.is_bool_dtype(values)
    )


def _require_columns(real: pd.DataFrame, synthetic: pd.DataFrame, columns: Iterable[str]) -> None:
    for name, table in (("real", real), ("syn", synthetic)):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(
                f"Columns {missing} are not in the {name} table; pass columns both have."
            )


def _compared_columns(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None,
    ignore: Iterable[str],
) -> list[str]:
    skipped = set(ignore)
    if columns is None:
        compared = [c for c in real.columns if c in synthetic.columns and c not in skipped]
    else:
        _require_columns(real, synthetic, columns)
        compared = [c for c in columns if c not in skipped]
    if not compared:
        raise ValueError("No column left to compare; pass columns the two tables share.")
    return compared


def _row_hashes(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One 64-bit hash per row of each table, equal for rows with equal values.

    Factorising each column over both tables at once gives every value one integer code in
    both (missing -> -1), so dtype differences (int against float, NaN against None) cannot
    make equal rows hash apart. Hash collisions (2^-64 per pair) are ignored.
    """
    codes = {}
    for column in columns:
        both = pd.concat([real[column], synthetic[column]], ignore_index=True)
        codes[column], _ = pd.factorize(both, use_na_sentinel=True)
    hashed = pd.util.hash_pandas_object(pd.DataFrame(codes), index=False).to_numpy()
    return hashed[: len(real)], hashed[len(real) :]
