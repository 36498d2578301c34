"""A parent's length follows the code its lead child row draws (a stay follows its diagnosis).

A contact's length (its end as a duration after its start) is drawn by the contact's copula,
which never knows the diagnosis: the diagnosis is drawn below it, by a forest that must not
read the length (a forest that did put hip fractures on whoever the copula gave a long acute
stay, see ``TwinFitting._fit_codes``). So every twin code had the lake's overall lengths: on
the simulated lake (8,000 persons) a hip fracture stayed a median 0.04 days in the twin and
7.8 days in the lake. Once the child is drawn, each parent with a lead row (``rules.leads``:
the one primary diagnosis of a contact) gets the length at its own rank among all lengths
(``overall``), read off its code's quantile curve (``by_code``), so the stay follows the
code and keeps what the copula gave it beside the code (a long stay for its kind stays long).

Dates of the parent's other children that lie between its start and end (a contact's
observations) keep their place between them. A code on fewer than ``MIN_ROWS`` lead rows
takes its group's curve (the longest start of the code held by that many: DS72 for the hip
fracture DS720, which alone is too rare), or keeps its length; a curve holds ``QUANTILES``
interpolated quantiles, never a row's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from generators.twin.constraints import _place, _position, from_days, to_days

MIN_ROWS = 30  # lead rows a code (or a group of codes) needs to get its own curve
MIN_PREFIX = 2  # the shortest start of a text code that groups codes (DS: injuries)
QUANTILES = np.linspace(0.025, 0.975, 39)  # the curve's probabilities (no minimum, maximum)


@dataclass
class LengthByCode:
    """Learned on a child table: its parent's ``column`` (a duration after ``anchor``)
    follows the ``code`` of the child's row whose ``lead`` column holds ``value``."""

    lead: str  # the child's once-per-parent column (diagnosis type)
    value: object  # its value on the lead row ("A": the primary diagnosis)
    code: str  # the child's code column the lead row's code is read from
    column: str  # the parent's duration column (contact end)
    anchor: str  # the parent column it is after (contact start)
    overall: np.ndarray  # the length's quantiles over every lead row (days)
    by_code: dict[object, np.ndarray]  # a code's quantiles, codes with MIN_ROWS lead rows

    def lengths(self, old: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Each length moved from its rank among all lengths to its code's curve (or its
        group's: the longest start of the code that has a curve)."""
        new = old.astype(float).copy()
        rank = np.interp(old, self.overall, QUANTILES)
        for code in pd.unique(codes[pd.notna(codes)]):
            curve = self.curve(code)
            if curve is not None:
                rows = (codes == code) & np.isfinite(old)
                new[rows] = np.interp(rank[rows], QUANTILES, curve)
        return new

    def curve(self, code: object) -> np.ndarray | None:
        """The code's curve, else its longest start's (text codes: DS720 -> DS72 -> DS7)."""
        if code in self.by_code:
            return self.by_code[code]
        if isinstance(code, str):
            for end in range(len(code) - 1, MIN_PREFIX - 1, -1):
                if code[:end] in self.by_code:
                    return self.by_code[code[:end]]
        return None


def learn_lengths_by_code(
    own: pd.DataFrame,
    context: pd.DataFrame,
    parent_context: dict[str, str],
    leads: dict[str, tuple[object, str]],
    durations: dict[str, str],
) -> list[LengthByCode]:
    """The rules of a child table (rows ``own`` with their parent's ``context``).

    Args:
        parent_context: context name -> parent column (``TablePlan.context``).
        leads: lead column -> (its once value, the code column it follows).
        durations: the parent's duration columns -> the column each is after.
    """
    named = {col: name for name, col in parent_context.items()}
    rules = []
    for lead, (value, code) in leads.items():
        rows = (own[lead] == value).to_numpy()
        for column, anchor in durations.items():
            if column not in named or anchor not in named:
                continue
            length = to_days(context[named[column]]) - to_days(context[named[anchor]])
            length, codes = length[rows], own[code].to_numpy()[rows]
            known = np.isfinite(length)
            if known.sum() < MIN_ROWS:
                continue
            by_code = _curves(codes[known], length[known])
            if by_code:
                overall = np.quantile(length[known], QUANTILES)
                rules.append(LengthByCode(lead, value, code, column, anchor, overall, by_code))
    return rules


def _curves(codes: np.ndarray, length: np.ndarray) -> dict[object, np.ndarray]:
    """A curve per code, and per start of text codes (a code group: DS72 for DS720 and
    DS721), each held by ``MIN_ROWS`` lead rows or more."""
    frame = pd.DataFrame({"code": codes, "length": length})
    groups = [frame["code"]]
    if frame["code"].map(lambda c: isinstance(c, str)).all():
        longest = int(frame["code"].str.len().max())
        groups += [frame["code"].str[:end] for end in range(longest - 1, MIN_PREFIX - 1, -1)]
    curves: dict[object, np.ndarray] = {}
    for group in groups:
        for code, rows in frame.groupby(group, sort=True)["length"]:
            if len(rows) >= MIN_ROWS and code not in curves:
                curves[code] = np.quantile(rows.to_numpy(), QUANTILES)
    return curves


def follow_codes(
    rule: LengthByCode,
    child: pd.DataFrame,
    parent: pd.DataFrame,
    date_only: bool,
    high: float | None,
    limit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parent's new ``rule.column`` (float days), from the drawn ``child`` rows (with
    ``__parent_row__``) and the drawn ``parent`` frame; also its start and old end (days).

    ``high``: the column's real maximum (float days), which no length passes; ``limit``:
    per parent row, the day no length passes (a death; NaN where none).
    """
    start, end = to_days(parent[rule.anchor]), to_days(parent[rule.column])
    codes = np.full(len(parent), None, dtype=object)
    lead = (child[rule.lead] == rule.value).to_numpy()
    codes[child["__parent_row__"].to_numpy()[lead]] = child[rule.code].to_numpy()[lead]
    new = start + np.maximum(rule.lengths(end - start, codes), 0.0)
    if date_only:
        new = np.floor(new)
    if high is not None:
        new = np.minimum(new, np.maximum(high, start))
    if limit is not None:
        new = np.where(np.isnan(limit), new, np.minimum(new, np.maximum(limit, start)))
    new = np.where(np.isfinite(end), new, end)
    return new, start, end


def keep_place(days: np.ndarray, start: np.ndarray, end: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Dates between ``start`` and ``end`` moved to the same place between ``start`` and
    ``new`` (per row: the row's parent's values)."""
    inside = (days >= start) & (days <= end)
    return np.where(inside, _place(_position(days, start, end), start, new), days)


def as_dates(days: np.ndarray, like: pd.Series, date_only: bool) -> np.ndarray:
    """Float days back as ``like``'s datetimes (whole days where ``date_only``)."""
    return from_days(days, date_only).to_numpy().astype(like.dtype)
