"""Subgroup report: metrics per subgroup, small subgroups suppressed."""

import numpy as np
import pandas as pd
import pytest

from validation.performance import (
    BINARY_METRICS,
    REGRESSION_METRICS,
    auroc,
    bootstrap_ci,
    brier,
    subgroup_report,
)


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["K", "M"], size=n),
            # Region 85 has 3 persons only; region 84 has many persons but 2 events.
            "reg": [81] * 150 + [82] * 150 + [84] * 97 + [85] * 3,
        }
    )
    score = rng.normal(size=n)
    frame["p"] = 1 / (1 + np.exp(-score))
    frame["y"] = (rng.random(n) < frame["p"]).astype(int)
    region_84 = frame.index[frame["reg"] == 84]
    frame.loc[region_84, "y"] = 0
    frame.loc[region_84[:2], "y"] = 1
    return frame


def test_small_subgroups_are_suppressed_and_never_computed(cohort) -> None:
    seen_sizes: set[int] = set()

    def spy_brier(y, p):
        seen_sizes.add(len(y))
        return brier(y, p)

    report = subgroup_report(
        cohort["y"], cohort["p"], cohort["reg"], {"brier": spy_brier}, n_boot=20, seed=0
    )
    by_value = {r.value: r for r in report.results}
    assert list(by_value) == [81, 82, 84, 85]
    for value, reason in [(85, "persons"), (84, "with the outcome")]:
        hidden = by_value[value]
        assert hidden.suppressed
        assert reason in (hidden.reason or "")
        assert (hidden.n, hidden.events) == (None, None)
        assert hidden.metrics == {"brier": None}
    assert seen_sizes == {150}  # only the published regions were ever evaluated
    assert not by_value[81].suppressed and by_value[81].n == 150


def test_published_subgroup_matches_a_direct_bootstrap(cohort) -> None:
    report = subgroup_report(
        cohort["y"], cohort["p"], cohort["reg"], {"auroc": auroc}, n_boot=50, seed=3
    )
    region = cohort[cohort["reg"] == 82]
    direct = bootstrap_ci(auroc, region["y"], region["p"], n_boot=50, seed=3)
    published = next(r for r in report.results if r.value == 82)
    assert published.metrics["auroc"] == direct.ci
    assert published.events == int(region["y"].sum())


def test_each_dataframe_column_is_its_own_grouping(cohort) -> None:
    report = subgroup_report(
        cohort["y"], cohort["p"], cohort[["sex", "reg"]], BINARY_METRICS, n_boot=20
    )
    frame = report.to_frame()
    assert list(zip(frame["variable"], frame["value"], strict=True)) == [
        ("sex", "K"),
        ("sex", "M"),
        ("reg", 81),
        ("reg", 82),
        ("reg", 84),
        ("reg", 85),
    ]
    assert {"auroc", "auroc_lower", "auroc_upper", "calibration_slope"} <= set(frame.columns)
    assert frame.loc[frame["suppressed"], "auroc"].isna().all()
    assert frame.loc[~frame["suppressed"], "auroc"].notna().all()


def test_groups_align_by_position_and_missing_values_form_a_group() -> None:
    y = np.array([0, 1] * 10)
    p = np.linspace(0.1, 0.9, 20)
    labels = pd.Series(["a"] * 10 + [None] * 10, index=range(100, 120)[::-1], name="site")
    report = subgroup_report(y, p, labels, {"brier": brier}, min_count=5, n_boot=10)
    assert [(r.value, r.n, r.events) for r in report.results] == [("a", 10, 5), (None, 10, 5)]


def test_continuous_outcome_has_no_event_count() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=60)
    groups = pd.Series(["x"] * 30 + ["y"] * 26 + ["z"] * 4)
    report = subgroup_report(y, y + 0.1, groups, REGRESSION_METRICS, n_boot=20)
    assert [(r.value, r.n, r.events, r.suppressed) for r in report.results] == [
        ("x", 30, None, False),
        ("y", 26, None, False),
        ("z", None, None, True),
    ]


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        subgroup_report([0, 1, 0], [0.1, 0.9, 0.2], pd.Series(["a", "b"]), {"brier": brier})


def test_subgroup_estimates_equal_fairlearns_metricframe() -> None:
    """Our per-subgroup point estimates are fairlearn's MetricFrame.by_group values."""
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import brier_score_loss, roc_auc_score

    rng = np.random.default_rng(11)
    n = 900
    group = pd.Series(rng.choice(["a", "b", "c"], n), name="group")
    p = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < p).astype(int)
    ours = subgroup_report(y, p, group, {"auroc": auroc, "brier": brier}, n_boot=20, seed=1)
    frame = MetricFrame(
        metrics={"auroc": roc_auc_score, "brier": brier_score_loss},
        y_true=y,
        y_pred=p,
        sensitive_features=group,
    ).by_group
    for result in ours.results:
        for name in ("auroc", "brier"):
            assert result.metrics[name].estimate == pytest.approx(frame.loc[result.value, name])
