"""Column types of ingested extracts: parsing text into them, and inferring them.

Extracts are read as text (see :mod:`testbench.lake.ingest.careful_reader`), so nothing is
converted before a contract has looked at it. This module turns a text column
into its declared type and says which values did not fit; without a contract it
infers the type, choosing one only when every value fits it, so a column is
never silently coerced (one stray "n/a" keeps a column of numbers as text).

Danish extracts write dates as ``31-12-2020``, ``31.12.2020`` or SAS's
``31DEC2020``, decimals with a comma (``3,5``); ISO forms are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd


class ColumnType(StrEnum):
    """What a column holds; a contract declares it, ingestion without one infers it."""

    INT = "int"  # whole numbers (64-bit); "12.0" counts as 12
    FLOAT = "float"  # decimal numbers, "3.5" or "3,5"
    DATE = "date"  # calendar dates; stored as midnight timestamps, like the simulator's
    TIMESTAMP = "timestamp"  # date and time of day, local (Danish) time
    BOOL = "bool"  # true/false (inferred only; contracts spell out codes instead)
    TEXT = "text"  # anything, kept as written
    CODE = "code"  # text in a code system (ICD-10, ATC, NPU, ...), checked by its format
    CPR = "cpr"  # CPR number; replaced by a keyed pseudonym before it reaches the lake


INT_TEXT = re.compile(r"[+-]?\d+(?:\.0+)?")
# The exponent has at most three digits: pandas' parser crashes the process on longer ones
# (see common.numbers); such a text stays text.
FLOAT_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?")
TIMEZONE_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
# ISO 8601 as exports write it: a full date, optionally a time and a zone (never "2020" alone).
ISO_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
LOCAL_TIMEZONE = "Europe/Copenhagen"
# Date layouts tried in order after ISO (YYYY-MM-DD); day first, never month first.
DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%d%b%Y")
# Date-and-time layouts tried in order after ISO 8601; then the date layouts (midnight).
TIMESTAMP_FORMATS = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d%b%Y:%H:%M:%S",  # SAS DATETIME20.
    "%d%b%Y %H:%M:%S",
)
BOOL_TEXT = {"true": True, "false": False}


@dataclass(frozen=True)
class Parsed:
    """A text column turned into one type."""

    values: pd.Series  # converted values; missing where the text was missing or did not fit
    bad: pd.Series  # bool per row: a value was present but is not of the type


def by_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series], fill: Any) -> pd.Series:
    """``fn`` applied to each distinct value once, spread back over ``values``.

    Extract columns repeat the same codes, dates and units millions of times, so
    checking distinct values is what keeps ingestion fast. Missing values get ``fill``.

    Args:
        values: any Series.
        fn: maps a Series of distinct, present values to a Series of results (same length).
        fill: the result for a missing value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = fn(pd.Series(uniques, dtype=object))
    extension = isinstance(results.dtype, pd.api.extensions.ExtensionDtype)
    array = results.array if extension else results.to_numpy()
    spread = pd.api.extensions.take(array, codes, allow_fill=True, fill_value=fill)
    return pd.Series(spread, index=values.index)


def _present(values: pd.Series) -> pd.Series:
    """The non-missing values, as stripped strings."""
    return values.dropna().astype(str).str.strip()


def _bad(values: pd.Series, good_index: pd.Index) -> pd.Series:
    bad = values.notna()
    bad.loc[good_index] = False
    return bad


def parse_int(values: pd.Series) -> Parsed:
    """Whole numbers, 64-bit; anything larger or not a whole number is bad."""
    text = _present(values)
    text = text[text.str.fullmatch(INT_TEXT.pattern)].str.replace(r"\.0+$", "", regex=True)
    lookup = {}
    for item in pd.unique(text.to_numpy()):
        number = int(item)
        if -(2**63) <= number < 2**63:
            lookup[item] = number
    text = text[text.isin(list(lookup))]
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    out.loc[text.index] = text.map(lookup).astype("int64")
    return Parsed(out, _bad(values, text.index))


def parse_float(values: pd.Series) -> Parsed:
    """Decimal numbers with a point or a (Danish) decimal comma."""
    text = _present(values)
    text = text[text.str.fullmatch(FLOAT_TEXT.pattern)].str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").dropna()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    out.loc[numbers.index] = numbers.astype("float64")
    return Parsed(out, _bad(values, numbers.index))


def _try_formats(text: pd.Series, formats: tuple[str, ...], found: pd.Series) -> pd.Series:
    """Fill ``found`` (datetime64) where it is missing, trying each layout in turn."""
    for fmt in formats:
        todo = text[found.loc[text.index].isna()]
        if todo.empty:
            break
        hit = pd.to_datetime(todo, format=fmt, errors="coerce").dropna()
        found.loc[hit.index] = hit
    return found


def _iso(text: pd.Series) -> pd.Series:
    """ISO 8601 dates and times; values with a time zone become Danish local time."""
    found = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    text = text[text.str.fullmatch(ISO_TEXT.pattern)]
    if text.empty:
        return found
    aware = text.str.contains(TIMEZONE_SUFFIX.pattern, regex=True)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    local = parsed.dt.tz_convert(LOCAL_TIMEZONE).dt.tz_localize(None)
    wall = parsed.dt.tz_localize(None)  # naive text was read as UTC: its wall time unchanged
    found.loc[text.index] = wall.where(~aware, local).astype("datetime64[ns]")
    return found


def parse_timestamp(values: pd.Series) -> Parsed:
    """Dates with times of day (a date alone means midnight)."""
    text = _present(values)
    found = _iso(text)
    found = _try_formats(text, TIMESTAMP_FORMATS + DATE_FORMATS, found)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    found = found.dropna()
    out.loc[found.index] = found
    return Parsed(out, _bad(values, found.index))


def parse_date(values: pd.Series) -> Parsed:
    """Calendar dates; a timestamp counts only when its time is midnight."""
    stamps = parse_timestamp(values)
    with_time = stamps.values.notna() & (stamps.values != stamps.values.dt.normalize())
    out = stamps.values.where(~with_time)
    return Parsed(out, stamps.bad | with_time)


def parse_bool(values: pd.Series) -> Parsed:
    """``true`` / ``false`` in any case."""
    text = _present(values).str.lower()
    text = text[text.isin(list(BOOL_TEXT))]
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out.loc[text.index] = text.map(BOOL_TEXT).astype(bool)
    return Parsed(out, _bad(values, text.index))


def parse_text(values: pd.Series) -> Parsed:
    """Text as written; nothing is bad."""
    out = values.astype(object).where(values.notna(), None)
    return Parsed(out, pd.Series(False, index=values.index))


PARSERS = {
    ColumnType.INT: parse_int,
    ColumnType.FLOAT: parse_float,
    ColumnType.DATE: parse_date,
    ColumnType.TIMESTAMP: parse_timestamp,
    ColumnType.BOOL: parse_bool,
}


def parse(values: pd.Series, kind: ColumnType) -> Parsed:
    """Turn a text column into ``kind`` (codes and CPR numbers stay text here)."""
    parser = PARSERS.get(kind)
    if parser is None:
        return parse_text(values)
    found: dict[str, Parsed] = {}

    def parsed_uniques(uniques: pd.Series) -> pd.Series:
        found["parsed"] = parser(uniques)
        return found["parsed"].values

    out = by_unique(values, parsed_uniques, None)
    bad = by_unique(values, lambda _uniques: found["parsed"].bad, False).astype(bool)
    return Parsed(out, bad)


def infer_type(values: pd.Series) -> ColumnType:
    """The narrowest type every present value fits; text when none does.

    Numbers written with a leading zero (product numbers, postcodes such as
    ``0800``) stay text, so the zero is not lost.
    """
    text = _present(values)
    if text.empty:
        return ColumnType.TEXT
    if text.str.fullmatch(r"[+-]?\d+").all():
        leading_zero = text.str.fullmatch(r"[+-]?0\d+").any()
        if not leading_zero and not parse_int(text).bad.any():
            return ColumnType.INT
        return ColumnType.TEXT
    for kind in (ColumnType.FLOAT, ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.BOOL):
        if not parse(text, kind).bad.any():
            return kind
    return ColumnType.TEXT
