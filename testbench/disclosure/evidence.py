"""Walk an evidence document (docs/evidence.md) and apply the disclosure rules to it.

Used by :meth:`DisclosureChecker.check_evidence`; kept apart because the evidence shape
has three places with rules of their own:

- counts (any key in :data:`COUNT_KEYS`): 1 to ``min_count - 1`` becomes ``"<5"``;
- ``subgroups`` lists: a subgroup under the rule of
  :mod:`validation.performance.subgroups` (fewer than ``min_count`` persons, events or
  non-events) keeps only its label, plus secondary suppression across its variable;
- ``calibration.bins``: each bin must already hold ``min_count`` events and non-events.
  Merging is the producer's job (``calibration_curve(min_events=...)``): a merged curve
  here would not match the one the metrics were computed from.

Everything else is inspected for identifiers, CPR numbers, pseudonyms and row-level lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from testbench.disclosure.ledger import Ledger, is_small, parse_count, violation
from testbench.disclosure.patterns import (
    COUNT_KEYS,
    NAME_KEYED,
    is_identifier_name,
    safe_label,
    sensitive_string_rule,
)
from testbench.disclosure.policy import DisclosurePolicy

_SUBGROUP_KEEP = ("variable", "level", "value")  # what a suppressed subgroup keeps


class EvidenceWalk:
    """One pass over one evidence document; returns a checked copy, records in ``ledger``."""

    def __init__(
        self,
        policy: DisclosurePolicy,
        ledger: Ledger,
        row_limit: float,
        id_columns: Sequence[str],
        prior_rules: Mapping[str, str],
    ) -> None:
        self.policy = policy
        self.ledger = ledger
        self.row_limit = row_limit  # longer lists of numbers are row-level
        self.id_columns = id_columns  # identifier names besides IDENTIFIER_NAMES
        self.prior_rules = prior_rules  # where -> rule from an earlier check of this document

    def run(self, evidence: Mapping[str, Any]) -> dict[str, Any]:
        """The checked copy of ``evidence`` without its ``disclosure`` section."""
        return {
            key: self._member(key, value, safe_label(key, "<key>"))
            for key, value in evidence.items()
            if key != "disclosure"
        }

    # -- dispatch ------------------------------------------------------------------------

    def _member(self, key: object, value: Any, path: str) -> Any:
        if isinstance(key, str) and (rule := sensitive_string_rule(key)) is not None:
            raise violation(path, rule, "a key may not be a CPR number or pseudonym")
        if is_identifier_name(key, self.id_columns) and _carries(value):
            raise violation(
                path,
                "identifier",
                "identifier values may not leave the lake; drop the field or publish "
                "an aggregate of it",
            )
        if key in NAME_KEYED and isinstance(value, Mapping):
            return self._names(value, path)
        if key in COUNT_KEYS and not isinstance(value, Mapping):
            return self._count(value, path)
        if key == "subgroups" and _records(value):
            return self._subgroups(value, path)
        if key == "calibration" and isinstance(value, Mapping) and "bins" in value:
            self._calibration(value["bins"], f"{path}.bins")
        return self._value(value, path)

    def _names(self, value: Mapping[Any, Any], path: str) -> dict[Any, Any]:
        """A mapping keyed by table or column names: the keys are names, not fields."""
        out = {}
        for name, item in value.items():
            where = f"{path}.{safe_label(name, '<key>')}"
            if isinstance(name, str) and (rule := sensitive_string_rule(name)) is not None:
                raise violation(where, rule, "a key may not be a CPR number or pseudonym")
            out[name] = self._value(item, where)
        return out

    def _value(self, value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            return {
                key: self._member(key, item, f"{path}.{safe_label(key, '<key>')}")
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            self._row_level(value, path)
            return [self._value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        self.ledger.checked += 1
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, str):
            if (rule := sensitive_string_rule(value)) is not None:
                raise violation(
                    path,
                    rule,
                    "a CPR number or pseudonym may not leave the lake; remove it from "
                    "the text or value",
                )
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        raise TypeError(
            f"{path}: evidence must hold JSON values (object, array, text, number, "
            f"true/false, null), not {type(value).__name__}; convert it before checking."
        )

    # -- rules ---------------------------------------------------------------------------

    def _count(self, value: Any, path: str) -> Any:
        if isinstance(value, list | tuple):
            self._row_level(value, path)
            return [self._count(item, f"{path}[{i}]") for i, item in enumerate(value)]
        self.ledger.checked += 1
        count = parse_count(value, path, self.policy.min_count)
        if not is_small(count, self.policy.min_count):
            return count
        self.ledger.suppress(path, self.prior_rules.get(path, "min_count"))
        return count if isinstance(count, str) else self.policy.marker

    def _row_level(self, items: Sequence[Any], path: str) -> None:
        if len(items) > self.row_limit and all(_is_number(item) for item in items):
            raise violation(
                path,
                "row_level",
                f"a list of more than {int(self.row_limit)} numbers is row-level data; "
                "publish an aggregate on a fixed grid instead",
            )

    def _calibration(self, bins: Any, path: str) -> None:
        if not isinstance(bins, list | tuple):
            return
        least = self.policy.min_count
        what_to_do = (
            f"every calibration bin needs at least {least} events and {least} non-events; "
            "merge adjacent bins where the curve is made: "
            f"validation.performance.calibration_curve(y, p, min_events={least})"
        )
        for i, item in enumerate(bins):
            where = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                raise violation(where, "calibration_min_count", what_to_do)
            n = parse_count(item.get("n"), f"{where}.n", least)
            events = parse_count(item.get("events"), f"{where}.events", least)
            non_events = parse_count(item.get("non_events"), f"{where}.non_events", least)
            if non_events is None and isinstance(n, int) and isinstance(events, int):
                non_events = n - events
            if not (
                isinstance(events, int)
                and isinstance(non_events, int)
                and events >= least
                and non_events >= least
            ):
                raise violation(where, "calibration_min_count", what_to_do)

    def _subgroups(self, entries: list[Mapping[str, Any]], path: str) -> list[Any]:
        least = self.policy.min_count
        wheres, counts, rules = [], [], []
        for i, entry in enumerate(entries):
            label = f"{entry.get('variable')}={entry.get('level', entry.get('value'))}"
            where = f"{path}[{safe_label(label, str(i))}]"
            n = parse_count(entry.get("n"), f"{where}.n", least)
            events = parse_count(entry.get("events"), f"{where}.events", least)
            small = entry.get("suppressed") is True or _subgroup_small(n, events, least)
            wheres.append(where)
            counts.append((n, events))
            rules.append(self.prior_rules.get(where, "min_count") if small else None)
        if self.policy.secondary_suppression:
            for i in _secondary(entries, counts, rules, least):
                rules[i] = "secondary"
        out: list[Any] = []
        for entry, where, (n, events), rule in zip(entries, wheres, counts, rules, strict=True):
            if rule is None:
                out.append(self._value(entry, where))
                continue
            kept = {k: self._value(entry[k], f"{where}.{k}") for k in _SUBGROUP_KEEP if k in entry}
            hidden: dict[str, Any] = {"n": _hide(n, self.policy)}
            if "events" in entry:
                hidden["events"] = _hide(events, self.policy)
            self.ledger.checked += len(hidden)
            self.ledger.suppress(where, rule)
            out.append({**kept, **hidden, "suppressed": True, "metrics": {}})
        return out


def _subgroup_small(n: int | str | None, events: int | str | None, least: int) -> bool:
    """The subgroup rule of validation.performance.subgroups, on published counts."""
    if not isinstance(n, int) or n < least or isinstance(events, str):
        return True
    return isinstance(events, int) and (events < least or n - events < least)


def _secondary(
    entries: Sequence[Mapping[str, Any]],
    counts: Sequence[tuple[int | str | None, int | str | None]],
    rules: Sequence[str | None],
    least: int,
) -> list[int]:
    """Published subgroups to suppress so no suppressed count follows from the total.

    Per variable with both suppressed and published levels, the suppressed levels together
    can be derived as total minus published. Unless their known counts together pass the
    subgroup rule, the smallest published level is suppressed too; since it passes the
    rule on its own, the derivable remainder then does as well.
    """
    by_variable: dict[Any, list[int]] = {}
    for i, entry in enumerate(entries):
        by_variable.setdefault(entry.get("variable"), []).append(i)
    chosen = []
    for members in by_variable.values():
        hidden = [i for i in members if rules[i] is not None]
        shown = [i for i in members if rules[i] is None]
        if not hidden or not shown:
            continue
        n_sum, events_sum = _summed([counts[i] for i in hidden])
        binary = any(isinstance(counts[i][1], int) for i in shown)
        known = n_sum is not None and (events_sum is not None or not binary)
        if known and not _subgroup_small(n_sum, events_sum, least):
            continue
        chosen.append(min(shown, key=lambda i: _as_int(counts[i][0])))
    return chosen


def _summed(
    pairs: Sequence[tuple[int | str | None, int | str | None]],
) -> tuple[int | None, int | None]:
    """Sums of n and events when every one is known, else None for that sum."""
    ns = [n for n, _ in pairs if isinstance(n, int)]
    events = [e for _, e in pairs if isinstance(e, int)]
    return (
        sum(ns) if len(ns) == len(pairs) else None,
        sum(events) if len(events) == len(pairs) else None,
    )


def _as_int(count: int | str | None) -> int:
    return count if isinstance(count, int) else 0


def _hide(count: int | str | None, policy: DisclosurePolicy) -> int | str | None:
    """A suppressed subgroup's count: "<5" when it is small, nothing when it is not."""
    if isinstance(count, str):
        return count
    if count is None:
        return None
    # A large count of a suppressed subgroup is withheld (None), not shown as "<5": that
    # would be false, and next to the other count it would reveal the small one.
    return policy.marker if count < policy.min_count else None


def _carries(value: Any) -> bool:
    """Does a field hold something (not None, not an empty text, list or object)?"""
    if value is None:
        return False
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return True


def _records(value: Any) -> bool:
    """Is ``value`` a non-empty list of objects (subgroup entries, not subgroup names)?"""
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(item, Mapping) and "variable" in item for item in value)
    )


def _is_number(value: Any) -> bool:
    return value is None or (
        isinstance(value, int | float | np.number) and not isinstance(value, bool)
    )
