"""What the checker inspected, suppressed and flagged; and its refusals.

A refusal (:class:`~testbench.disclosure.errors.DisclosureViolation`) names where and which rule,
never the offending value: the message reaches logs and terminals outside the lake.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from testbench.disclosure.errors import DisclosureViolation
from testbench.lake.catalogue import shown_count

_HIDDEN_COUNT = re.compile(r"<(\d+)")  # a count already published as "<k"


def violation(where: str, rule: str, what_to_do: str) -> DisclosureViolation:
    """A refusal naming where and which rule broke, and what to do; never the value."""
    return DisclosureViolation(f"disclosure rule '{rule}' refuses {where}: {what_to_do}")


@dataclass
class Ledger:
    """Running record of one checker: values inspected, cells suppressed and flagged."""

    checked: int = 0  # values inspected so far (leaves of evidence, cells of frames)
    # {"where", "rule"} per suppressed value, cell or subgroup, in the order found.
    suppressed: list[dict[str, str]] = field(default_factory=list)
    # {"where", "rule"} per cell a reviewer should look at (e.g. ACRO threshold on counts).
    flagged: list[dict[str, str]] = field(default_factory=list)

    def suppress(self, where: str, rule: str) -> None:
        """Record that the value at ``where`` was suppressed by ``rule``."""
        self.suppressed.append({"where": where, "rule": rule})

    def flag(self, where: str, rule: str) -> None:
        """Record that the value at ``where`` needs a reviewer's look under ``rule``."""
        self.flagged.append({"where": where, "rule": rule})


def parse_count(value: Any, where: str, min_count: int) -> int | str | None:
    """A count field's value, validated: an int, a hidden count ``"<k"``, or None.

    The rules, one per kind of value (see also :class:`DisclosureChecker`):

    - None, NaN (float or numpy), ``pd.NA`` and ``pd.NaT``: no count (not measured or
      withheld), returned as None and published as ``null``, never as a number;
    - an integer (Python or numpy), or a float that is a whole number (130.0 from a pandas
      column that held a missing value): that whole number, 0 or more;
    - a count of 0 (an empty table or subgroup) is 0: it shows no person, so it is not hidden;
    - ``"<k"``: already hidden; a ``k`` below ``min_count`` is coarsened to ``"<min_count"``
      ("<3" would say more than the policy allows);
    - anything else (negative, fractional, infinite, boolean, other text) is refused.

    Nothing is recorded here.

    Args:
        value: The field's value as found.
        where: Its path, for the error message.
        min_count: The policy's minimum count.

    Returns:
        The count as an int, as ``"<k"`` text (``k >= min_count``), or None (not published).

    Raises:
        DisclosureViolation: For a negative, fractional, infinite, boolean or non-numeric count.
    """
    if is_missing(value):
        return None
    what_to_do = f"a count must be a whole number of 0 or more, or '<{min_count}'"
    if isinstance(value, str):
        hidden = _HIDDEN_COUNT.fullmatch(value.strip())
        if hidden is None:
            raise violation(where, "count_type", what_to_do)
        return f"<{max(int(hidden.group(1)), min_count)}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise violation(where, "count_type", what_to_do)
    whole = int(value) if isinstance(value, Integral) else None
    if whole is None and float(value).is_integer():
        whole = int(float(value))  # 130.0 from a pandas float column is the count 130
    if whole is None or whole < 0:
        raise violation(where, "count_type", what_to_do)
    return whole


def is_missing(value: Any) -> bool:
    """Is ``value`` a missing scalar: None, NaN (float or numpy), ``pd.NA`` or ``pd.NaT``?"""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def is_small(count: int | str | None, min_count: int) -> bool:
    """Is a parsed count one the policy hides (already hidden, or 1 to min_count - 1)?"""
    if isinstance(count, str):
        return True
    return count is not None and shown_count(count, min_count) != count
