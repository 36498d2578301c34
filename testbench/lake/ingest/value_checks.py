"""Checking one column's distinct values against its rule: types, codes, CPR numbers.

Every check here looks at one value at a time, so :func:`check_column` runs on a
column's distinct values only (see :mod:`testbench.lake.ingest.coded_columns`) and the row-level
checks in :mod:`testbench.lake.ingest.row_checks` spread its verdict over the rows.

Reasons name a column and a problem, never a value, e.g.
``"diag_kode: not an ICD-10 code with the D prefix (like DI50)"``, so they can be
counted, shown and logged safely.

Where CPR numbers can turn up, and what happens to them:

- In a CPR column: replaced by the keyed pseudonym (a value that already is a
  pseudonym, as the simulator writes them, is kept). Not a valid CPR number: the
  row is quarantined and the value masked.
- In any other column (bar opaque identifiers such as ``dw_ek_kontakt``): the row
  is quarantined (``"looks like a CPR number"``) and the value masked, so a CPR
  number typed into the wrong column does not slip through.
- In any column of a quarantined row: masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from testbench.lake.ingest.column_types import ColumnType, by_unique, parse
from testbench.lake.ingest.contracts import CodeFormat, ColumnRule
from testbench.lake.ingest.pseudonyms import (
    CPR_MASK,
    cpr_digits,
    is_pseudonym,
    looks_like_cpr,
    pseudonymise,
)

EARLIEST = pd.Timestamp("1900-01-01")  # contract dates before this are implausible

TYPE_PROBLEM = {
    ColumnType.INT: "not a whole number",
    ColumnType.FLOAT: "not a number",
    ColumnType.DATE: "not a date (like 2020-12-31 or 31-12-2020)",
    ColumnType.TIMESTAMP: "not a date and time (like 2020-12-31 08:30)",
    ColumnType.BOOL: "not true or false",
}


@dataclass(frozen=True)
class ColumnVerdict:
    """What the checks found for each distinct value of one column."""

    lake: pd.Series  # the value stored in the lake (typed; CPR numbers as pseudonyms)
    shown: pd.Series  # what a quarantined row may show ("string"; CPR numbers masked)
    # Reason -> bool per value, one entry per check run (hit or not), in the order they ran.
    problems: dict[str, np.ndarray]

    @cached_property
    def lake_arrow(self) -> pa.Array:
        """:attr:`lake` as an Arrow array (text as ``string``), for building lake batches."""
        return _arrow(self.lake)

    @cached_property
    def shown_arrow(self) -> pa.Array:
        """:attr:`shown` as an Arrow ``string`` array, for building quarantine rows."""
        return _arrow(self.shown)

    def extended(self, more: ColumnVerdict) -> ColumnVerdict:
        """This verdict followed by ``more``, the verdict on the next distinct values.

        Both ran the same checks (the rule decides which), so the reasons line up.
        """
        out = ColumnVerdict(
            pd.concat([self.lake, more.lake], ignore_index=True),
            pd.concat([self.shown, more.shown], ignore_index=True),
            {r: np.concatenate([hit, more.problems[r]]) for r, hit in self.problems.items()},
        )
        # Carry the Arrow forms over when built, so each value is converted once.
        for name in ("lake_arrow", "shown_arrow"):
            if name in self.__dict__:
                joined = pa.concat_arrays([self.__dict__[name], getattr(more, name)])
                out.__dict__[name] = joined
        return out


def _arrow(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):  # pandas' Arrow-backed dtypes
        array = array.combine_chunks()
    return array.cast(pa.string()) if pa.types.is_large_string(array.type) else array


def code_problem(code: CodeFormat) -> str:
    """The reason given for a value that is not a code of ``code``."""
    return f"not a valid {code.name} (like {code.example})"


def fits_code(text: pd.Series, code: CodeFormat) -> pd.Series:
    """Which present values are codes of ``code`` (missing values count as fitting)."""

    def fits(uniques: pd.Series) -> pd.Series:
        if code.allowed is not None:
            return uniques.isin(list(code.allowed))
        return uniques.astype(str).str.fullmatch(code.pattern or ".*").astype(bool)

    return by_unique(text, fits, True).astype(bool)


def as_string(values: pd.Series) -> pd.Series:
    """Text for the lake: pandas' string dtype, so an all-empty column is still VARCHAR."""
    return values.astype(object).where(values.notna(), None).astype("string")


class _Found:
    """Problems collected per value, in the order the checks ran."""

    def __init__(self) -> None:
        self.problems: dict[str, np.ndarray] = {}

    def add(self, reason: str, mask: pd.Series | np.ndarray) -> None:
        self.problems[reason] = np.asarray(mask, dtype=bool)


def check_column(
    rule: ColumnRule, values: pd.Series, key: str, plausible: bool, today: date
) -> ColumnVerdict:
    """Check the distinct present values of one column.

    Args:
        rule: the column's rule (type, code system, identifier or not).
        values: distinct present values, as text.
        key: the tenant's pseudonym key (for CPR columns).
        plausible: also refuse dates in the future or before 1900 (contract columns).
        today: the day that counts as today.

    Returns:
        Lake value, shown value and problems per value. "Missing" is not among the
        problems: a missing value has no distinct value; the row check finds it.
    """
    name = rule.name
    values = values.reset_index(drop=True)
    found = _Found()
    cprish = looks_like_cpr(values, today) if rule.kind is not ColumnType.CPR else None
    shown = values.astype(object)
    if cprish is not None:  # a CPR number anywhere in a refused row is masked
        shown = shown.where(~cprish, CPR_MASK)

    if rule.kind is ColumnType.CPR:
        digits = cpr_digits(values, today, distinct=True)
        # Only a value that is not a CPR number can be a pseudonym already (the shapes differ).
        unsure = digits.isna().to_numpy()
        already = np.zeros(len(values), bool)
        already[unsure] = is_pseudonym(values[unsure]).to_numpy()
        found.add(
            f"{name}: not a valid CPR number (DDMMYY-SSSS with a real date of birth)",
            unsure & ~already,
        )
        lake = pseudonymise(digits, key).to_numpy(dtype=object)
        lake[already] = values.to_numpy(dtype=object)[already]
        shown = np.where(unsure & ~already, CPR_MASK, lake)
        return ColumnVerdict(
            pd.Series(lake, dtype="string"), pd.Series(shown, dtype="string"), found.problems
        )

    if not rule.identifier and cprish is not None:
        found.add(
            f"{name}: looks like a CPR number (declare the column as CPR, or remove it)", cprish
        )
    if rule.kind in (ColumnType.TEXT, ColumnType.CODE):
        lake = values
        if rule.kind is ColumnType.CODE:
            lake = values.astype(str).str.strip()
        if rule.code is not None:
            found.add(f"{name}: {code_problem(rule.code)}", ~fits_code(lake, rule.code))
        return ColumnVerdict(as_string(lake), as_string(shown), found.problems)

    parsed = parse(values, rule.kind)
    found.add(f"{name}: {TYPE_PROBLEM[rule.kind]}", parsed.bad)
    lake = parsed.values
    if rule.code is not None:
        text = lake.astype("string")
        found.add(f"{name}: {code_problem(rule.code)}", ~fits_code(text, rule.code))
    if plausible and rule.kind in (ColumnType.DATE, ColumnType.TIMESTAMP):
        tomorrow = pd.Timestamp(today) + pd.Timedelta(days=1)
        found.add(f"{name}: in the future", (lake >= tomorrow).fillna(False))
        found.add(f"{name}: before 1900", (lake < EARLIEST).fillna(False))
    return ColumnVerdict(lake, as_string(shown), found.problems)
