"""DCR and NNDR behaviour on cases small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validation.privacy import dcr, infer_metadata, nndr

METADATA = {
    "columns": {
        "alder": {"sdtype": "numerical"},
        "koen": {"sdtype": "categorical"},
        "dato": {"sdtype": "datetime"},
    }
}


def reference_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alder": [20, 60],  # range 40
            "koen": ["M", "K"],
            "dato": pd.to_datetime(["2020-01-01", "2020-01-11"]),  # range 10 days
        }
    )


def test_distance_is_mean_of_scaled_and_capped_column_distances():
    query = pd.DataFrame(
        {
            "alder": [30, 100],
            "koen": ["K", None],
            "dato": pd.to_datetime(["2020-01-03", None]),
        }
    )
    # Row 0 to reference row 0: 10/40 + 1 (M != K) + 2/10 days; to row 1: 30/40 + 0 + 8/10.
    # Row 1: age 100 is 80 and 40 from the reference ages: capped at 1; missing sex and date
    # differ from present values: 1 each. Every reference row is at distance 1.
    expected_closest = [(0.25 + 1 + 0.2) / 3, 1.0]
    expected_ratio = [(0.25 + 1 + 0.2) / (0.75 + 0 + 0.8), 1.0]

    np.testing.assert_allclose(dcr(reference_table(), query, METADATA), expected_closest)
    np.testing.assert_allclose(nndr(reference_table(), query, METADATA), expected_ratio)


def test_copied_rows_have_zero_dcr(mixed_table, mixed_metadata):
    real = mixed_table(400, 1)
    copies = real.sample(50, random_state=0).reset_index(drop=True)

    assert (dcr(real, copies, mixed_metadata) == 0).all()


def test_missing_matches_missing_and_nothing_else():
    reference = pd.DataFrame({"x": [1.0, np.nan, 3.0], "kind": ["a", None, "b"]})
    metadata = {"columns": {"x": {"sdtype": "numerical"}, "kind": {"sdtype": "categorical"}}}
    # np.nan and None are both "missing" in either column type; missing vs present costs 1.
    query = pd.DataFrame({"x": [None, np.nan], "kind": [np.nan, "a"]}, dtype=object)

    np.testing.assert_allclose(dcr(reference, query, metadata), [0.0, 0.5])


def test_constant_reference_column_scores_any_difference_as_one():
    reference = pd.DataFrame({"x": [5.0, 5.0], "y": [0.0, 10.0]})
    query = pd.DataFrame({"x": [5.0, 5.001], "y": [0.0, 0.0]})

    # SDMetrics: range 0 -> 1 if the values differ at all (not the difference over 0).
    np.testing.assert_allclose(dcr(reference, query), [0.0, 0.5])


def test_numeric_columns_are_scaled_by_the_reference_range_not_the_query_range():
    reference = pd.DataFrame({"x": [0.0, 100.0]})
    query = pd.DataFrame({"x": [10.0, 10.5]})

    np.testing.assert_allclose(dcr(reference, query), [0.1, 0.105])


def test_nndr_is_zero_for_a_copy_of_a_duplicated_record_and_nan_without_second_row():
    reference = pd.DataFrame({"x": [1.0, 1.0, 2.0], "kind": ["a", "a", "b"]})
    query = reference.iloc[[0]]

    assert nndr(reference, query).tolist() == [0.0]
    assert np.isnan(nndr(reference.iloc[[2]], query)).all()


def test_inferred_metadata_gives_the_same_distances_as_explicit(mixed_table):
    columns = ["alder", "bmi", "koen", "reg", "ryger", "indlagt"]
    real, synthetic = mixed_table(120, 1)[columns], mixed_table(90, 2)[columns]
    explicit = {
        "columns": {
            "alder": {"sdtype": "numerical"},
            "bmi": {"sdtype": "numerical"},
            "koen": {"sdtype": "categorical"},
            "reg": {"sdtype": "numerical"},  # int dtype: inferred as numerical
            "ryger": {"sdtype": "boolean"},
            "indlagt": {"sdtype": "datetime"},
        }
    }

    assert infer_metadata(real) == explicit
    np.testing.assert_array_equal(dcr(real, synthetic), dcr(real, synthetic, explicit))


def test_multi_table_metadata_with_one_table_is_accepted():
    np.testing.assert_array_equal(
        dcr(reference_table(), reference_table(), {"tables": {"kontakter": METADATA}}), [0, 0]
    )


def test_inputs_are_not_modified(mixed_table, mixed_metadata):
    real, synthetic = mixed_table(100, 1), mixed_table(80, 2)
    real_before, synthetic_before = real.copy(), synthetic.copy()

    dcr(real, synthetic, mixed_metadata)
    nndr(real, synthetic, mixed_metadata)

    pd.testing.assert_frame_equal(real, real_before)
    pd.testing.assert_frame_equal(synthetic, synthetic_before)


def test_chunking_and_threads_do_not_change_the_result(mixed_table, mixed_metadata):
    real, synthetic = mixed_table(700, 1), mixed_table(300, 2)
    reference = dcr(real, synthetic, mixed_metadata, n_jobs=1)

    for chunk_rows in (1, 7, 64, 10_000):
        np.testing.assert_array_equal(
            dcr(real, synthetic, mixed_metadata, chunk_rows=chunk_rows, n_jobs=2), reference
        )


def test_empty_query_gives_empty_result():
    assert dcr(reference_table(), reference_table().iloc[:0], METADATA).shape == (0,)


@pytest.mark.parametrize(
    ("reference", "query", "metadata", "message"),
    [
        (pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]}), None, "no overlapping"),
        (
            pd.DataFrame({"d": ["2020-01-01"]}),
            pd.DataFrame({"d": ["2020-01-02"]}),
            {"columns": {"d": {"sdtype": "datetime"}}},
            "datetime_format",
        ),
        (pd.DataFrame({"a": [1.0, np.inf]}), pd.DataFrame({"a": [1.0]}), None, "infinite"),
        (
            pd.DataFrame({"a": ["x"]}),
            pd.DataFrame({"a": ["y"]}),
            {"columns": {"a": {"sdtype": "numerical"}}},
            "non-numeric",
        ),
        (pd.DataFrame({"a": []}), pd.DataFrame({"a": [1.0]}), None, "no rows"),
    ],
)
def test_unusable_input_raises_a_clear_error(reference, query, metadata, message):
    with pytest.raises(ValueError, match=message):
        dcr(reference, query, metadata)


def test_datetime_text_is_parsed_with_the_metadata_format():
    metadata = {"columns": {"d": {"sdtype": "datetime", "datetime_format": "%d-%m-%Y"}}}
    reference = pd.DataFrame({"d": ["01-01-2020", "11-01-2020"]})
    query = pd.DataFrame({"d": ["03-01-2020"]})

    np.testing.assert_allclose(dcr(reference, query, metadata), [0.2])
