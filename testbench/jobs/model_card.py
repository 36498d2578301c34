"""A model card (Mitchell et al. 2019, "Model Cards for Model Reporting") from the evidence.

Built only from the evidence dictionary, which holds aggregates, so the card can leave the
lake with it; the disclosure checker reviews the card's text as part of the evidence.
"""

from __future__ import annotations

from typing import Any

SECTIONS = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
)
_REGIME_TEXT = {
    "TRTR": "trained on real persons, tested on real held-out persons",
    "TSTR": "trained on the synthetic twin, tested on the same real held-out persons",
    "TSTS": "trained and tested on the synthetic twin",
}


def model_card(evidence: dict[str, Any]) -> str:
    """The model card as Markdown, one ``##`` heading per Mitchell et al. section."""
    model = evidence.get("model", {})
    cohort = evidence.get("cohort", {})
    regimes: dict[str, Any] = evidence.get("regimes", {})
    binary = evidence.get("task") == "binary_classification"
    headline = "auroc" if binary else "rmse"
    lines = [f"# Model card: {evidence.get('name', '')}", ""]

    lines += _section(
        "Model details",
        [
            f"- Estimator: {model.get('estimator', '?')} (from `{model.get('reference', '?')}`)",
            f"- Task: {evidence.get('task')}; outcome `{evidence.get('target')}`",
            f"- Specification hash: `{str(evidence.get('spec_hash', ''))[:12]}`; "
            f"test-bench {evidence.get('code_version', '?')}",
            f"- Requested by: {evidence.get('requested_by') or 'not stated'}",
            f"- Released as a fitted model: {'yes' if model.get('released') else 'no'} "
            f"({model.get('release_reason', '')})",
        ],
    )
    lines += _section(
        "Intended use",
        [
            evidence.get("description") or "Not stated in the specification.",
            "",
            "Evidence for procurement and clinical review, not a licence for clinical use: "
            "a model needs local validation and the applicable CE marking before it guides care.",
        ],
    )
    lines += _section(
        "Factors",
        [
            "Performance is reported per subgroup of: "
            + (", ".join(f"`{s}`" for s in evidence.get("subgroups", [])) or "none")
            + ". Subgroups with fewer than the disclosure minimum of persons are suppressed "
            "and shown as <5.",
        ],
    )
    metric_names = (
        "AUROC, AUPRC, Brier score, log loss, calibration slope and intercept, sensitivity and "
        "specificity at the stated threshold, calibration curve and decision curve (net benefit)"
        if binary
        else "RMSE, MAE, R² and calibration-in-the-large"
    )
    evaluation = evidence.get("evaluation", {})
    lines += _section(
        "Metrics",
        [
            f"{metric_names}, each with a bootstrap 95% interval "
            f"({evaluation.get('bootstrap')} replicates); {evaluation.get('folds')}-fold "
            "cross-validation within the training rows.",
        ],
    )
    lines += _section(
        "Evaluation data",
        [
            f"Cohort of {cohort.get('n')} persons ({cohort.get('events', 'n/a')} with the "
            f"outcome) defined by the specification's SQL over the tenant lake; the real test "
            f"set holds {cohort.get('n_test')} persons who never entered the synthetic twin.",
            *(
                f"- {s['table']}: {s['rows']} rows, {s.get('first') or '?'} to "
                f"{s.get('last') or '?'}"
                for s in evidence.get("sources", [])
            ),
        ],
    )
    lines += _section(
        "Training data",
        [
            f"- {regime}: {_REGIME_TEXT[regime]}; {block.get('n_train')} training rows"
            for regime, block in regimes.items()
        ],
    )
    analyses = ["| Regime | " + headline.upper() + " (95% CI) | Test rows |", "|---|---|---|"]
    for regime, block in regimes.items():
        metric = block.get("metrics", {}).get(headline, {})
        analyses.append(f"| {regime} | {_ci(metric)} | {block.get('n_test')} |")
    lines += _section("Quantitative analyses", analyses)
    lines += _section(
        "Ethical considerations",
        [
            "Trained and evaluated inside the tenant's isolated lake on pseudonymised Danish "
            "register data; only aggregates that passed disclosure control left it. Check "
            "subgroup results for unequal performance before use.",
        ],
    )
    skipped = evidence.get("regimes_skipped") or {}
    lines += _section(
        "Caveats and recommendations",
        [
            "Compare TSTR with TRTR: a large gap means the synthetic twin misses structure the "
            "model relies on. Intervals reflect sampling of the test set only, not shifts "
            "between sites or years.",
            *(f"- {regime} was not estimated: {why}" for regime, why in skipped.items()),
        ],
    )
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, body: list[str]) -> list[str]:
    return [f"## {title}", "", *body, ""]


def _ci(metric: dict[str, Any]) -> str:
    value, low, high = metric.get("value"), metric.get("low"), metric.get("high")
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} ({low:.3f}-{high:.3f})"
