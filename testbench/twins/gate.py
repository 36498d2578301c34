"""The privacy gate: whether a twin's evaluation lets it leave the lake.

A :class:`GatePolicy` holds one rule per check: a threshold, a direction (``min``: the
measure must be at least the threshold; ``max``: at most) and what is compared. The
checks and their defaults (:data:`DEFAULT_RULES`, copied in ``gate_policy.yaml`` as a
template for operators):

============================  =====  =========  ====================================
check                         dir.   default    measure
============================  =====  =========  ====================================
quality                       min    0.80       SDMetrics QualityReport overall score
diagnostic                    min    0.99       SDMetrics DiagnosticReport score
dcr_baseline_protection       min    0.20       1 = as far from real rows as random data
dcr_holdout_ratio             min    0.80       twin's median DCR / unseen persons', cap 1
dcr_overfitting_protection    min    0.50       1 = no closer to training than holdout rows
exact_copies                  max    0.01       share of twin rows equal to a real row
rare_leakage                  max    0.00       share of rare real categories in the twin
singling_out                  max    0.10       Anonymeter risk, upper end of its 95% CI
linkability                   max    0.10       Anonymeter risk, upper end of its 95% CI
inference                     max    0.10       Anonymeter risk, upper end of its 95% CI
detection_auc                 max    report     classifier AUC, real vs twin persons
utility_above_chance          min    report     worst derived task's TSTR/TRTR above chance
============================  =====  =========  ====================================

Attack risks are judged by the *upper* bound of their confidence interval, not the point
estimate: the gate fails closed, so a twin passes only when the data rule out a risk
above the threshold, not merely when the best guess is below it (with few attacks the
interval is wide and a point estimate of 0.05 may hide a risk of 0.15). Fidelity and DCR
scores have no interval and are compared as they are. ``rare_leakage`` allows none: the
twin builder drops categories held by fewer than 5 persons, so any is a defect.

Every check of the policy must have a value: a missing value, or NaN, fails its check.

A rule without a threshold (``None``; ``threshold: null`` in YAML) is *report only*: its
value is shown with the other checks but never fails, missing or not. Detection and
utility measure fidelity, not privacy, and today's twins fail any useful threshold on them
(detection AUC near 1.0), so they start report only and an operator sets a threshold when
the twins can meet it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from testbench.twins.errors import GateFailed, GatePolicyInvalid


class Direction(StrEnum):
    """Which side of the threshold passes."""

    MIN = "min"  # value >= threshold passes (scores: higher is better)
    MAX = "max"  # value <= threshold passes (risks and shares: lower is better)

    def passes(self, value: float, threshold: float) -> bool:
        """Whether ``value`` lies on the passing side of ``threshold``."""
        return value >= threshold if self is Direction.MIN else value <= threshold


class Compare(StrEnum):
    """What is held against the threshold."""

    VALUE = "value"  # the point estimate
    BOUND = "bound"  # the pessimistic end of the interval: high for max, low for min


@dataclass(frozen=True)
class CheckRule:
    """The rule of one check."""

    threshold: float | None  # the limit (all measures are 0-1); None: report only, never fails
    direction: Direction  # min or max, fixed per check
    compare: Compare = Compare.VALUE  # point estimate or pessimistic interval bound


# The defaults (see the module docstring for why each is what it is).
DEFAULT_RULES: dict[str, CheckRule] = {
    "quality": CheckRule(0.80, Direction.MIN),
    "diagnostic": CheckRule(0.99, Direction.MIN),
    # A floor: noisy copies of real rows score near 0. A faithful twin cannot reach 0.5 on
    # concentrated data: real persons who never met the twin score about 0.25 on the
    # simulated lake (random rows spread over the whole range are far from everyone).
    "dcr_baseline_protection": CheckRule(0.2, Direction.MIN),
    # The sharper test: a twin person must be about as far from the training persons as a
    # real person the twin never saw (median DCR ratio, capped at 1).
    "dcr_holdout_ratio": CheckRule(0.8, Direction.MIN),
    "dcr_overfitting_protection": CheckRule(0.5, Direction.MIN),
    "exact_copies": CheckRule(0.01, Direction.MAX),
    "rare_leakage": CheckRule(0.0, Direction.MAX),
    "singling_out": CheckRule(0.10, Direction.MAX, Compare.BOUND),
    "linkability": CheckRule(0.10, Direction.MAX, Compare.BOUND),
    "inference": CheckRule(0.10, Direction.MAX, Compare.BOUND),
    # Fidelity shown beside the privacy checks, report only (see the module docstring):
    # can a classifier tell twin persons from real ones (0.5 = no), and how well a model
    # trained on the twin predicts real persons on the lake's derived tasks (1 = as well
    # as one trained on real persons).
    "detection_auc": CheckRule(None, Direction.MAX),
    "utility_above_chance": CheckRule(None, Direction.MIN),
    # Black-box membership inference on the twin (validation/privacy/twin_membership.py),
    # the stronger of a DOMIAS-style density ratio and a DCR ratio; upper 95% bounds.
    "membership_auc": CheckRule(0.60, Direction.MAX, Compare.BOUND),
    "membership_tpr_at_fpr_01": CheckRule(0.05, Direction.MAX, Compare.BOUND),
    "membership_tpr_at_fpr_10": CheckRule(0.20, Direction.MAX, Compare.BOUND),
    # Share of twin persons closer to a training person than half the holdout's 1st
    # percentile of DCR: planted near-copies land here, honest twin persons rarely do.
    "near_copies": CheckRule(0.005, Direction.MAX),
}

# Where each check's value sits in the twin-evaluation evidence (docs/evidence.md).
EVIDENCE_PATHS: dict[str, tuple[str, ...]] = {
    "quality": ("fidelity", "quality"),
    "diagnostic": ("fidelity", "diagnostic"),
    "dcr_baseline_protection": ("privacy", "dcr_baseline_protection"),
    "dcr_overfitting_protection": ("privacy", "dcr_overfitting_protection"),
    "dcr_holdout_ratio": ("privacy", "dcr_holdout_ratio"),
    "exact_copies": ("privacy", "exact_copies"),
    "rare_leakage": ("privacy", "rare_leakage"),
    "singling_out": ("privacy", "anonymeter", "singling_out"),
    "linkability": ("privacy", "anonymeter", "linkability"),
    "inference": ("privacy", "anonymeter", "inference"),
    "detection_auc": ("fidelity", "detection", "person_view", "auc"),
    "utility_above_chance": ("utility", "worst_above_chance"),
    "membership_auc": ("privacy", "membership", "auc"),
    "membership_tpr_at_fpr_01": ("privacy", "membership", "tpr_at_fpr_01"),
    "membership_tpr_at_fpr_10": ("privacy", "membership", "tpr_at_fpr_10"),
    "near_copies": ("privacy", "near_copies", "share"),
}

Estimate = float | Mapping[str, Any]  # a number, or {"value": v, "low": l, "high": h}


@dataclass(frozen=True)
class GatePolicy:
    """Thresholds of the privacy gate, one rule per check (defaults: :data:`DEFAULT_RULES`)."""

    rules: Mapping[str, CheckRule] = field(default_factory=lambda: dict(DEFAULT_RULES))

    def __post_init__(self) -> None:
        # Fail closed: a policy that forgot a check would let it pass unseen.
        missing = [name for name in DEFAULT_RULES if name not in self.rules]
        unknown = [name for name in self.rules if name not in DEFAULT_RULES]
        if missing or unknown:
            raise GatePolicyInvalid(
                f"a gate policy covers exactly the checks {', '.join(DEFAULT_RULES)}; "
                f"missing: {missing or 'none'}, unknown: {unknown or 'none'}"
            )
        for name, rule in self.rules.items():
            if rule.direction is not DEFAULT_RULES[name].direction:
                raise GatePolicyInvalid(
                    f"the direction of {name!r} is fixed at {DEFAULT_RULES[name].direction.value!r}"
                )

    @classmethod
    def from_yaml(cls, path: Path | str) -> GatePolicy:
        """Read a policy file; checks it does not name keep their defaults.

        The file maps check names to a threshold, or to ``{threshold, direction,
        compare}`` (``direction`` may only restate the check's own; ``compare`` is
        ``value`` or ``bound``; a null threshold makes the check report only)::

            quality: 0.85
            singling_out: {threshold: 0.05, compare: bound}
            detection_auc: 0.9

        Args:
            path: the YAML file.

        Returns:
            The policy.

        Raises:
            GatePolicyInvalid: unreadable file, unknown check or key, or a bad value
                (one line naming the file and what to fix).
        """
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GatePolicyInvalid(f"cannot read gate policy {path}: {first}") from None
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise GatePolicyInvalid(
                f"gate policy {path} must map check names to thresholds, e.g. 'quality: 0.85'"
            )
        rules = dict(DEFAULT_RULES)
        for name, entry in data.items():
            rules[str(name)] = _parse_rule(path, str(name), entry)
        return cls(rules)


def _parse_rule(path: Path, name: str, entry: Any) -> CheckRule:
    """One check's rule from its YAML entry (a number or a mapping)."""
    if name not in DEFAULT_RULES:
        raise GatePolicyInvalid(
            f"gate policy {path}: unknown check {name!r}; known checks: {', '.join(DEFAULT_RULES)}"
        )
    default = DEFAULT_RULES[name]
    if not isinstance(entry, Mapping):
        entry = {"threshold": entry}
    unknown = set(entry) - {"threshold", "direction", "compare"}
    if unknown:
        raise GatePolicyInvalid(
            f"gate policy {path}: check {name!r} has unknown key(s) {sorted(map(str, unknown))}; "
            "allowed: threshold, direction, compare"
        )
    rule = default
    if "threshold" in entry and entry["threshold"] is None:
        rule = replace(rule, threshold=None)  # report only
    elif "threshold" in entry:
        threshold = entry["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise GatePolicyInvalid(
                f"gate policy {path}: threshold of {name!r} must be a number, not {threshold!r}"
            )
        if not 0.0 <= float(threshold) <= 1.0:  # NaN fails this too
            raise GatePolicyInvalid(
                f"gate policy {path}: threshold of {name!r} must be between 0 and 1, "
                f"not {threshold!r}"
            )
        rule = replace(rule, threshold=float(threshold))
    if "direction" in entry and entry["direction"] != default.direction.value:
        raise GatePolicyInvalid(
            f"gate policy {path}: the direction of {name!r} is fixed at "
            f"{default.direction.value!r}; remove 'direction' or set it to that"
        )
    if "compare" in entry:
        try:
            rule = replace(rule, compare=Compare(entry["compare"]))
        except ValueError:
            raise GatePolicyInvalid(
                f"gate policy {path}: compare of {name!r} must be 'value' or 'bound', "
                f"not {entry['compare']!r}"
            ) from None
    return rule


@dataclass(frozen=True)
class GateCheck:
    """The outcome of one check."""

    name: str  # check name, e.g. "singling_out"
    value: float | None  # point estimate; None when missing or not a number
    threshold: float | None  # the policy's limit; None: report only (always passes)
    direction: Direction  # min or max
    passed: bool  # whether the check passed
    low: float | None = None  # lower end of the 95% interval, when there is one
    high: float | None = None  # upper end of the 95% interval, when there is one

    def to_dict(self) -> dict[str, Any]:
        """The check in the evidence "gate" shape (JSON-safe: NaN becomes null)."""
        return {
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "direction": self.direction.value,
            "passed": self.passed,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True)
class GateDecision:
    """Whether a twin may leave the lake, and why."""

    passed: bool  # true only when every check passed
    checks: list[GateCheck]  # one per policy check, in policy order
    reasons: list[str]  # one line per failing check; empty when passed

    def to_dict(self) -> dict[str, Any]:
        """The decision in the evidence "gate" shape (docs/evidence.md)."""
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks]}

    def raise_if_failed(self) -> None:
        """Raise when the gate refused the twin.

        Raises:
            GateFailed: listing every failing check and its reason.
        """
        if not self.passed:
            raise GateFailed(
                "privacy gate failed, the twin may not leave the lake: "
                + "; ".join(self.reasons)
                + ". Rebuild the twin (another synthesizer or seed) and evaluate it again"
            )


class PrivacyGate:
    """Applies a :class:`GatePolicy` to a twin's measured values.

    Args:
        policy: the thresholds; the defaults when None.
    """

    def __init__(self, policy: GatePolicy | None = None) -> None:
        self.policy = policy or GatePolicy()

    def decide(self, values: Mapping[str, Estimate]) -> GateDecision:
        """Check every policy check against its value.

        Args:
            values: check name -> a number, or ``{"value", "low", "high"}`` (an estimate
                with its 95% interval). Names the policy does not check are ignored.

        Returns:
            The decision; a check without a value, or with NaN, fails.
        """
        checks: list[GateCheck] = []
        reasons: list[str] = []
        for name, rule in self.policy.rules.items():
            check, reason = _check(name, rule, values.get(name))
            checks.append(check)
            if reason:
                reasons.append(reason)
        return GateDecision(passed=not reasons, checks=checks, reasons=reasons)


def _number(raw: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinite or non-numeric input."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw) if math.isfinite(raw) else None


def _check(name: str, rule: CheckRule, raw: Estimate | None) -> tuple[GateCheck, str]:
    """One check and its failure reason ("" when it passed)."""
    if isinstance(raw, Mapping):
        value, low, high = (
            _number(raw.get("value")),
            _number(raw.get("low")),
            _number(raw.get("high")),
        )
    else:
        value, low, high = _number(raw), None, None
    if rule.threshold is None:  # report only: shown, never fails
        return GateCheck(name, value, None, rule.direction, True, low, high), ""
    if isinstance(raw, Mapping) and raw.get("not_applicable") and value is None:
        # The attack cannot be made on this lake (the evaluation says why): nothing to fail.
        return GateCheck(name, None, rule.threshold, rule.direction, True), ""
    sign = ">=" if rule.direction is Direction.MIN else "<="
    limit = f"{rule.direction.value} {rule.threshold:g}"
    reason = ""
    if value is None:
        absent = raw is None or (isinstance(raw, Mapping) and raw.get("value") is None)
        what = "no value" if absent else "value is not a number"
        reason = f"{name}: {what} (the evaluation must compute it; {limit})"
    else:
        compared: float | None = value
        label = "value"
        if rule.compare is Compare.BOUND:
            label = "upper bound" if rule.direction is Direction.MAX else "lower bound"
            compared = high if rule.direction is Direction.MAX else low
        if compared is None:
            reason = f"{name}: no confidence interval, and the gate compares its {label} ({limit})"
        elif not rule.direction.passes(compared, rule.threshold):
            reason = f"{name}: {label} {compared:.4g} is not {sign} {rule.threshold:g}"
    check = GateCheck(name, value, rule.threshold, rule.direction, not reason, low, high)
    return check, reason


def gate_values(evaluation: Mapping[str, Any]) -> dict[str, Estimate]:
    """The gate's inputs from a twin-evaluation evidence dict (see :data:`EVIDENCE_PATHS`).

    Args:
        evaluation: the ``kind: twin-evaluation`` evidence (docs/evidence.md).

    Returns:
        Check name -> value for every check found; absent ones are left out (and fail).
    """
    out: dict[str, Estimate] = {}
    for name, path in EVIDENCE_PATHS.items():
        node: Any = evaluation
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is not None:
            out[name] = node
    return out


__all__ = [
    "DEFAULT_RULES",
    "CheckRule",
    "Compare",
    "Direction",
    "GateCheck",
    "GateDecision",
    "GateFailed",
    "GatePolicy",
    "GatePolicyInvalid",
    "PrivacyGate",
    "gate_values",
]
