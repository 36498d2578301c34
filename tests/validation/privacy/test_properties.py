"""Property tests: the fast search equals a naive O(n * m) implementation of the definition."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

from validation.privacy import dcr, nndr
from validation.privacy.encoding import MISSING_CODE
from validation.privacy.nearest import nearest_sums

METADATA = {
    "columns": {
        "tal": {"sdtype": "numerical"},  # few values: ties, constant columns
        "maal": {"sdtype": "numerical"},
        "kategori": {"sdtype": "categorical"},
        "flag": {"sdtype": "boolean"},
        "dag": {"sdtype": "datetime"},
    }
}
DAYS = [None, "2021-01-01", "2021-01-02", "2021-03-01", "2022-12-31"]

rows = st.tuples(
    st.one_of(st.none(), st.integers(-3, 3)),
    st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)),
    st.sampled_from(["a", "b", "c", None]),
    st.booleans(),
    st.sampled_from(DAYS),
)


def to_table(values: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(values, columns=list(METADATA["columns"]))
    table["tal"] = pd.to_numeric(table["tal"])
    table["maal"] = pd.to_numeric(table["maal"])
    table["dag"] = pd.to_datetime(table["dag"])
    return table


def naive_sorted_distances(reference: pd.DataFrame, query: pd.DataFrame) -> list[list[float]]:
    """SDMetrics' definition, pair by pair: every distance from each query row, ascending."""
    columns = [(name, meta["sdtype"]) for name, meta in METADATA["columns"].items()]
    ranges = {}
    for name, sdtype in columns:
        if sdtype in ("numerical", "datetime"):
            present = reference[name].dropna()
            span = present.max() - present.min() if len(present) else np.nan
            ranges[name] = span.total_seconds() if isinstance(span, pd.Timedelta) else span
    result = []
    for _, q in query.iterrows():
        distances = []
        for _, r in reference.iterrows():
            total = 0.0
            for name, sdtype in columns:
                a, b = q[name], r[name]
                if pd.isna(a) or pd.isna(b):
                    total += float(pd.isna(a) != pd.isna(b))
                elif sdtype in ("numerical", "datetime"):
                    diff = abs(a - b)
                    diff = diff.total_seconds() if isinstance(diff, pd.Timedelta) else diff
                    total += float(diff > 0) if ranges[name] == 0 else min(diff / ranges[name], 1)
                else:
                    total += float(a != b)
            distances.append(total / len(columns))
        result.append(sorted(distances))
    return result


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reference=st.lists(rows, min_size=1, max_size=12),
    query=st.lists(rows, min_size=1, max_size=8),
    copies=st.lists(st.integers(0, 11), max_size=3),
)
def test_dcr_and_nndr_equal_the_naive_definition(engine, reference, query, copies):
    reference_table = to_table(reference)
    # Exact copies of reference rows exercise ties and zero distances.
    query_table = to_table(query + [reference[i % len(reference)] for i in copies])
    expected = naive_sorted_distances(reference_table, query_table)

    closest = dcr(reference_table, query_table, METADATA, engine=engine)
    ratio = nndr(reference_table, query_table, METADATA, engine=engine)

    np.testing.assert_allclose(closest, [d[0] for d in expected], atol=1e-12)
    for got, distances in zip(ratio, expected, strict=True):
        if len(distances) < 2:
            assert np.isnan(got)
        else:
            want = distances[0] / distances[1] if distances[1] > 0 else 0.0
            assert got == pytest.approx(want, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    reference=st.lists(rows, min_size=1, max_size=10),
    query=st.lists(rows, min_size=1, max_size=6),
)
def test_dcr_equals_sdmetrics_on_arbitrary_small_tables(reference, query):
    # SDMetrics crashes when a datetime column of the reference is all missing (NaT range).
    assume(any(row[4] is not None for row in reference))
    reference_table, query_table = to_table(reference), to_table(query)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calculate_dcr(query_table, reference_table, METADATA).to_numpy()

    np.testing.assert_allclose(dcr(reference_table, query_table, METADATA), theirs, atol=1e-9)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_reference=st.integers(1, 700),  # up to 3 kernel blocks of 256 rows, the last one padded
    n_query=st.integers(1, 40),
    n_coded=st.integers(0, 4),
    n_scaled=st.integers(0, 8),
    neighbours=st.sampled_from([1, 2]),
)
def test_search_equals_brute_force_on_encoded_matrices(
    engine, seed, n_reference, n_query, n_coded, n_scaled, neighbours
):
    rng = np.random.default_rng(seed)
    n_columns = max(1, n_coded + n_scaled)
    n_coded = n_columns - n_scaled
    codes = rng.integers(0, rng.integers(1, 5), size=(n_reference + n_query, n_coded))
    # Scaled values on a coarse grid (ties) or continuous, some missing.
    grid = rng.random() < 0.5
    scaled = rng.integers(0, 5, (n_reference + n_query, n_scaled)) / 4 if grid else None
    if scaled is None:
        scaled = rng.random((n_reference + n_query, n_scaled))
    scaled[rng.random(scaled.shape) < 0.1] = MISSING_CODE
    values = np.hstack([codes.astype(float), scaled])
    reference, query = values[:n_reference], values[n_reference:].copy()
    query[: n_query // 3] = reference[rng.integers(0, n_reference, n_query // 3)]  # copies
    integer_coded = np.arange(n_columns) < n_coded

    got = nearest_sums(
        reference, [query], integer_coded, neighbours=neighbours, engine=engine, chunk_rows=16
    )[0]

    sums = np.minimum(np.abs(query[:, None, :] - reference[None, :, :]), 1.0).sum(axis=2)
    expected = np.sort(sums, axis=1)[:, :neighbours]
    if expected.shape[1] < neighbours:
        expected = np.hstack([expected, np.full((n_query, 1), np.inf)])
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_huge_category_codes_stay_exact():
    """Codes past float32's exact integers force float64 re-scoring of every row."""
    rng = np.random.default_rng(1)
    reference = np.column_stack([2.0**25 + rng.integers(0, 3, 600), rng.random(600)])
    query = np.column_stack([2.0**25 + rng.integers(0, 3, 50), rng.random(50)])

    got = nearest_sums(reference, [query], np.array([True, False]), neighbours=2)[0]

    sums = np.minimum(np.abs(query[:, None, :] - reference[None, :, :]), 1.0).sum(axis=2)
    np.testing.assert_allclose(got, np.sort(sums, axis=1)[:, :2], atol=1e-12)
