"""The one disclosure checker that everything leaving a tenant lake passes through.

Metrics, tables, figure data, the model card and the evidence JSON are checked by one
:class:`DisclosureChecker` per run. It suppresses what the policy allows it to fix (a small
count becomes ``"<5"``, a small subgroup keeps only its label) and refuses what no
suppression can make safe (identifiers, CPR numbers, pseudonyms, row-level data, calibration
bins that were not merged) with a :class:`~testbench.disclosure.errors.DisclosureViolation` naming
where and which rule, never the value. Its :meth:`~DisclosureChecker.manifest` lists what
was checked, suppressed and flagged, and is logged with the run.

Counts, wherever they are (a count key in evidence, a count column of a table, ``count``):

- None, NaN, ``pd.NA`` or ``pd.NaT``: no count (not measured, or withheld); it stays None
  and is published as ``null``, never as a number and never refused;
- a float that is a whole number (130.0, as pandas stores an integer column with a missing
  value) is that count, published as the int 130;
- 0 (an empty table, cohort or subgroup) is published as 0: it shows no person;
- 1 to ``min_count - 1`` becomes ``"<5"``; ``"<k"`` stays hidden (``k`` raised to 5);
- negative, fractional, infinite, boolean or other values are refused (rule ``count_type``).

An empty table (no rows) is never row-level, and an empty cohort (``cohort_size=0``) is
accepted. Evidence keys are field names, except under the containers keyed by table or
column names (:data:`~testbench.disclosure.patterns.NAME_KEYED`): a table called
``persons`` there is a name, not a count.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd
from numpy.typing import ArrayLike

from testbench.disclosure.acro import magnitude_rules
from testbench.disclosure.evidence import EvidenceWalk
from testbench.disclosure.ledger import Ledger, is_small, parse_count, violation
from testbench.disclosure.patterns import (
    COUNT_KEYS,
    is_identifier_name,
    safe_label,
    sensitive_string_rule,
)
from testbench.disclosure.policy import DisclosurePolicy

# Curves on fixed grids (ROC, decision curve) may have this many points even in a small
# cohort; a longer list of numbers, or one near the cohort's size, is row-level.
MIN_ROW_LEVEL_LENGTH = 200


class DisclosureChecker:
    """Checks and suppresses one run's outputs under a :class:`DisclosurePolicy`.

    Args:
        policy: Thresholds to apply (``DisclosurePolicy.from_settings(settings)``).
        cohort_size: Persons (units) in the cohort the outputs describe; tables or lists
            with ``policy.max_row_share`` of that many rows are refused as row-level.
        id_columns: Identifier names besides the built-in ones (pnr, cpr, person_id, ...),
            e.g. the spec's ``id_column``.

    Raises:
        ValueError: If ``cohort_size`` is negative.
    """

    def __init__(
        self, policy: DisclosurePolicy, cohort_size: int, *, id_columns: Sequence[str] = ()
    ) -> None:
        if cohort_size < 0:
            raise ValueError(f"cohort_size must be 0 or more; got {cohort_size}.")
        self.policy = policy
        self.cohort_size = cohort_size
        self.id_columns = tuple(id_columns)
        self.ledger_ = Ledger()  # everything checked, suppressed and flagged so far

    # -- single values ---------------------------------------------------------------------

    def count(self, value: Any, where: str) -> int | str | None:
        """A count as it may be published: ``value``, or ``"<5"`` (recorded) if it is 1 to 4.

        Args:
            value: A count of persons (or of their records), 0 or more; None or NaN when
                there is no count.
            where: Where it will be published, e.g. ``"cohort.events"``.

        Returns:
            The count (a whole float as an int), the policy's marker (``"<5"`` by
            default) when it is too small, or None when there is no count.

        Raises:
            DisclosureViolation: If ``value`` is negative, fractional, infinite, boolean
                or not a number.
        """
        self.ledger_.checked += 1
        parsed = parse_count(value, where, self.policy.min_count)
        if not is_small(parsed, self.policy.min_count):
            return parsed
        self.ledger_.suppress(where, "min_count")
        return parsed if isinstance(parsed, str) else self.policy.marker

    # -- evidence --------------------------------------------------------------------------

    def check_evidence(self, evidence: Mapping[str, Any]) -> dict[str, Any]:
        """A checked copy of an evidence document (docs/evidence.md); the input is unchanged.

        Small counts become ``"<5"``, small subgroups keep only their label (plus secondary
        suppression, see :mod:`testbench.disclosure.evidence`), and ``disclosure`` is set to
        ``{"policy", "checked", "suppressed"}`` for this document. Checking a checked
        document again gives the same result.

        Args:
            evidence: The evidence as JSON values (dicts, lists, text, numbers, None).

        Returns:
            The checked evidence.

        Raises:
            DisclosureViolation: On an identifier field with values, a CPR number or
                pseudonym anywhere, a row-level list, a calibration bin with fewer than
                ``min_count`` events or non-events, or a malformed count.
            TypeError: On a value that is not JSON.
        """
        ledger = Ledger()  # merged only on success: a refused document publishes nothing
        walk = EvidenceWalk(
            self.policy, ledger, self._row_limit(), self.id_columns, _prior_rules(evidence)
        )
        checked = walk.run(evidence)
        checked["disclosure"] = {
            "policy": self.policy.to_dict(),
            "checked": ledger.checked,
            "suppressed": copy.deepcopy(ledger.suppressed),
        }
        self.ledger_.checked += ledger.checked
        self.ledger_.suppressed.extend(ledger.suppressed)
        self.ledger_.flagged.extend(ledger.flagged)
        return checked

    # -- tables ----------------------------------------------------------------------------

    def check_frame(
        self,
        frame: pd.DataFrame,
        where: str,
        count_columns: Sequence[str] | None = None,
        *,
        magnitude_columns: Sequence[str] = (),
        contributions: Mapping[Hashable, ArrayLike] | None = None,
    ) -> pd.DataFrame:
        """A checked copy of an aggregate table; the input is unchanged.

        Count cells of 1 to ``min_count - 1`` become ``"<5"``; count cells under
        ``acro_threshold`` are flagged for review. With ``contributions`` (each row
        label's contributor values) the ``magnitude_columns`` of rows that break an ACRO
        rule (threshold, p-ratio, nk, negative) are suppressed to None.

        Args:
            frame: One row per cell (e.g. per subgroup), already aggregated.
            where: Name of the table in the manifest, e.g. ``"tables.events_by_region"``.
            count_columns: Columns holding counts of persons; default: columns named as
                in :data:`~testbench.disclosure.patterns.COUNT_KEYS`.
            magnitude_columns: Columns holding sums or means over contributors.
            contributions: Row label -> that cell's contributor values, for the
                magnitude rules. Required when ``magnitude_columns`` is given.

        Returns:
            The checked table (count and magnitude columns become object dtype).

        Raises:
            DisclosureViolation: On an identifier column, a table with as many rows as
                ``max_row_share`` of the cohort, a CPR number or pseudonym in a cell or
                label, or a malformed count.
            ValueError: On unknown columns, or magnitude columns without contributions.
        """
        self._refuse_row_level(frame, where)
        counts = (
            [c for c in frame.columns if c in COUNT_KEYS]
            if count_columns is None
            else list(count_columns)
        )
        unknown = sorted(str(c) for c in {*counts, *magnitude_columns} - set(frame.columns))
        if unknown:
            raise ValueError(f"{where}: no such columns {unknown}; name columns of the table.")
        if bool(magnitude_columns) != (contributions is not None):
            raise ValueError(
                f"{where}: magnitude_columns and contributions go together; pass each "
                "cell's contributor values to check sums and means."
            )
        labels = [safe_label(label, f"#{i}") for i, label in enumerate(frame.index)]
        out = frame.copy()
        for column in counts:
            cells = [f"{where}[{label}].{column}" for label in labels]
            out[column] = pd.Series(
                [self._table_count(v, c) for v, c in zip(frame[column], cells, strict=True)],
                index=frame.index,
                dtype=object,
            )
        if contributions is not None:
            self._suppress_magnitudes(out, where, labels, magnitude_columns, contributions)
        self.ledger_.checked += int(frame.size)
        return out

    def check_magnitude(
        self, cell_values: Mapping[Hashable, ArrayLike], where: str = "magnitude"
    ) -> dict[Hashable, tuple[str, ...]]:
        """ACRO's rules on magnitude cells (see :mod:`testbench.disclosure.acro`).

        Unsafe cells are flagged in the manifest; the caller suppresses them (or use
        :meth:`check_frame` with ``contributions``, which does).

        Args:
            cell_values: Cell label -> the contributor values behind that cell.
            where: Name of the table in the manifest.

        Returns:
            Cell label -> rules it breaks (``"threshold"``, ``"p_ratio"``, ``"nk"``,
            ``"negative"``); an empty tuple for a safe cell.
        """
        verdicts: dict[Hashable, tuple[str, ...]] = {}
        for i, (label, values) in enumerate(cell_values.items()):
            broken = magnitude_rules(values, self.policy)
            for rule in broken:
                self.ledger_.flag(f"{where}[{safe_label(label, f'#{i}')}]", rule)
            self.ledger_.checked += 1
            verdicts[label] = broken
        return verdicts

    def manifest(self) -> dict[str, Any]:
        """Everything checked, suppressed and flagged so far, JSON-ready, to log with the run."""
        return {
            "policy": self.policy.to_dict(),
            "checked": self.ledger_.checked,
            "suppressed": copy.deepcopy(self.ledger_.suppressed),
            "flagged": copy.deepcopy(self.ledger_.flagged),
        }

    # -- helpers ---------------------------------------------------------------------------

    def _row_limit(self) -> float:
        return max(MIN_ROW_LEVEL_LENGTH, self.policy.max_row_share * self.cohort_size)

    def _refuse_row_level(self, frame: pd.DataFrame, where: str) -> None:
        names = [*frame.columns, *(n for n in frame.index.names if n is not None)]
        for name in names:
            if is_identifier_name(name, self.id_columns):
                raise violation(
                    f"{where}.{safe_label(name, '<column>')}",
                    "identifier",
                    "a table with an identifier column is row-level; drop the column and "
                    "publish aggregates only",
                )
        if len(frame) and len(frame) >= self.policy.max_row_share * self.cohort_size:
            raise violation(
                where,
                "row_level",
                f"a table with {self.policy.max_row_share:.0%} or more of the cohort's rows "
                "is row-level data; aggregate it before it leaves the lake",
            )
        texts = [pd.Series(names, dtype=object), frame.index.to_series()]
        texts += [frame[c] for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        for series in texts:
            for text in series.dropna().astype(str).unique():
                if (rule := sensitive_string_rule(text)) is not None:
                    raise violation(where, rule, "a CPR number or pseudonym may not leave the lake")

    def _table_count(self, value: Any, where: str) -> int | str | None:
        parsed = parse_count(value, where, self.policy.min_count)
        if is_small(parsed, self.policy.min_count):
            self.ledger_.suppress(where, "min_count")
            return parsed if isinstance(parsed, str) else self.policy.marker
        if isinstance(parsed, int) and 0 < parsed < self.policy.acro_threshold:
            self.ledger_.flag(where, "threshold")
        return parsed

    def _suppress_magnitudes(
        self,
        out: pd.DataFrame,
        where: str,
        labels: Sequence[str],
        columns: Sequence[str],
        contributions: Mapping[Hashable, ArrayLike],
    ) -> None:
        for column in columns:
            out[column] = out[column].astype(object)
        positions = [out.columns.get_loc(c) for c in columns]
        for row, (label, shown) in enumerate(zip(out.index, labels, strict=True)):
            if label not in contributions:
                raise ValueError(
                    f"{where}: contributions has no values for row {shown}; give every "
                    "row's contributor values."
                )
            for rule in magnitude_rules(contributions[label], self.policy):
                self.ledger_.suppress(f"{where}[{shown}]", rule)
                for position in positions:
                    out.iat[row, position] = None


def _prior_rules(evidence: Mapping[str, Any]) -> dict[str, str]:
    """where -> rule from an earlier check's ``disclosure.suppressed``, so a re-check agrees."""
    section = evidence.get("disclosure")
    entries = section.get("suppressed") if isinstance(section, Mapping) else None
    if not isinstance(entries, list):
        return {}
    return {
        str(e["where"]): str(e["rule"])
        for e in entries
        if isinstance(e, Mapping) and "where" in e and "rule" in e
    }
