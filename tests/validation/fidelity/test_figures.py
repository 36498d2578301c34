import json

import numpy as np
import pandas as pd
import pytest

from validation.fidelity import ColumnComparison, compare_column, compare_columns, comparison_figure

MIN_COUNT = 5


def _real_counts(comparison: ColumnComparison, n_real: int) -> list[int]:
    return [round(share * n_real) for share in comparison.real]


def test_numeric_bins_with_few_real_rows_are_merged_and_shares_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    # A long right tail: the outer bins would hold one or two persons each if not merged.
    real = pd.Series(np.concatenate([rng.normal(50, 10, 500), [150.0, 171.0, 199.5]]))
    twin = pd.Series(rng.normal(52, 12, 480))
    result = compare_column(real, twin, table="t", column="x", sdtype="numerical")
    assert result is not None and result.kind == "numeric"
    assert min(_real_counts(result, len(real))) >= MIN_COUNT
    assert sum(result.real) == pytest.approx(1.0) and sum(result.synthetic) == pytest.approx(1.0)
    assert 5 <= len(result.labels) <= 21 and len(set(result.labels)) == len(result.labels)
    # Outer bins are open, so no label shows a real extreme value.
    assert result.labels[0].startswith("< ") and result.labels[-1].startswith("≥ ")
    assert not any("199.5" in label or "171" in label for label in result.labels)


def test_a_higher_min_count_merges_more() -> None:
    rng = np.random.default_rng(1)
    real = pd.Series(rng.exponential(3.0, 300))
    twin = pd.Series(rng.exponential(3.0, 300))
    loose = compare_column(real, twin, table="t", column="x", sdtype="numerical", min_count=1)
    strict = compare_column(real, twin, table="t", column="x", sdtype="numerical", min_count=40)
    assert loose is not None and strict is not None
    assert len(strict.labels) < len(loose.labels)
    assert min(_real_counts(strict, 300)) >= 40


def test_rare_categories_go_into_other_which_holds_enough_rows_itself() -> None:
    counts = {"a": 60, "b": 30, "c": 6, "d": 3, "e": 1}  # d and e are rare; other = 4 < 5
    real = pd.Series([k for k, n in counts.items() for _ in range(n)])
    twin = pd.Series(["a"] * 50 + ["b"] * 40 + ["c"] * 5 + ["z"] * 5)  # z: twin only
    result = compare_column(real, twin, table="t", column="c", sdtype="categorical")
    assert result is not None and result.kind == "categorical"
    # "other" (d, e, z) would hold 4 real rows, so c joins it: other = 10 real rows.
    assert result.labels == ["a", "b", "other"]
    assert _real_counts(result, len(real)) == [60, 30, 10]
    assert result.synthetic == pytest.approx([0.5, 0.4, 0.1])


def test_only_the_top_categories_are_shown() -> None:
    real = pd.Series([f"k{i:02d}" for i in range(30) for _ in range(10 + i)])
    result = compare_column(real, real, table="t", column="c", sdtype="categorical", top=4)
    assert result is not None
    assert result.labels == ["k29", "k28", "k27", "k26", "other"]
    assert result.real == result.synthetic and sum(result.real) == pytest.approx(1.0)


def test_dates_are_binned_by_year_and_integer_codes_are_categories() -> None:
    rng = np.random.default_rng(2)
    days = pd.to_timedelta(rng.integers(0, 365 * 60, 2000), "D")
    born = pd.Series(pd.Timestamp("1930-01-01") + days)
    result = compare_column(born, born, table="bef", column="foed_dag", sdtype="datetime")
    assert result is not None and result.kind == "numeric"
    assert "1950–1954" in result.labels  # whole years, both ends included
    sex = pd.Series(rng.choice([1, 2], 500))
    codes = compare_column(sex, sex.astype(float), table="bef", column="koen", sdtype="numerical")
    assert codes is not None and codes.kind == "categorical" and codes.labels == ["1", "2"]
    assert codes.real == pytest.approx(codes.synthetic)


def test_missing_values_are_their_own_bin_only_when_enough_are_missing() -> None:
    rng = np.random.default_rng(3)
    values = pd.Series(rng.normal(0, 1, 200))
    few = values.copy()
    few[:3] = np.nan
    many = values.copy()
    many[:40] = np.nan
    none_bin = compare_column(few, few, table="t", column="x", sdtype="numerical")
    with_bin = compare_column(many, values, table="t", column="x", sdtype="numerical")
    assert none_bin is not None and "(missing)" not in none_bin.labels
    assert with_bin is not None and with_bin.labels[-1] == "(missing)"
    assert with_bin.real[-1] == pytest.approx(0.2) and with_bin.synthetic[-1] == 0.0


def test_too_few_real_values_publish_nothing() -> None:
    tiny = pd.Series([1.5, 2.5, np.nan, 3.5])
    assert compare_column(tiny, tiny, table="t", column="x", sdtype="numerical") is None


def test_compare_columns_skips_keys_and_is_json_serialisable() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"id": np.arange(100), "x": rng.normal(0, 1, 100)})
    metadata = {
        "tables": {"t": {"columns": {"id": {"sdtype": "id"}, "x": {"sdtype": "numerical"}}}},
        "relationships": [],
    }
    comparisons = compare_columns({"t": frame}, {"t": frame}, metadata)
    assert [c.column for c in comparisons] == ["x"]
    assert json.loads(json.dumps(comparisons[0].to_dict()))["table"] == "t"


def test_figure_has_a_real_and_a_twin_trace_in_okabe_ito_colours() -> None:
    comparison = ColumnComparison("bef", "koen", "categorical", ["1", "2"], [0.5, 0.5], [0.4, 0.6])
    for given in (comparison, comparison.to_dict()):
        figure = comparison_figure(given, names=("Virkelig", "Tvilling"))
        real, twin = figure.data
        assert (real.name, real.marker.color) == ("Virkelig", "#0072B2")
        assert (twin.name, twin.marker.color) == ("Tvilling", "#E69F00")
        assert list(twin.y) == [0.4, 0.6] and list(real.x) == ["1", "2"]
        assert figure.layout.font.size >= 18 and figure.layout.title.font.size >= 18
        assert figure.layout.title.text == "bef.koen"


@pytest.mark.parametrize("seed", range(8))
def test_no_published_share_stands_for_fewer_than_min_count_real_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, min_count = int(rng.integers(30, 400)), int(rng.integers(2, 12))
    columns = {
        "numerical": pd.Series(rng.lognormal(0, 1.5, n)),
        "datetime": pd.Series(
            pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.gamma(2, 60, n), "D")
        ),
        "categorical": pd.Series(rng.zipf(1.6, n).astype(str)),
    }
    for sdtype, real in columns.items():
        twin = real.sample(frac=1.0, replace=True, random_state=seed).reset_index(drop=True)
        result = compare_column(
            real, twin, table="t", column="c", sdtype=sdtype, min_count=min_count
        )
        assert result is not None
        assert min(_real_counts(result, n)) >= min_count, (sdtype, n, min_count)
        assert sum(result.synthetic) == pytest.approx(1.0)
