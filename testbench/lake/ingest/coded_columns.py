"""Columns held as codes into their distinct values: how ingestion checks millions of rows.

An extract column repeats the same codes, dates and units millions of times. Held as
``codes`` (one integer per row) into ``uniques`` (each distinct value once), every
check runs once per distinct value and its result is spread back over the rows with
one array lookup (:meth:`CodedColumn.spread`). Code ``-1`` marks a missing value: an
empty cell, or a marker such as ``NA`` or SAS's ``.``.

>>> column = CodedColumn.from_values(pd.Series(["DI50", "NA", "DI50", None]))
>>> column.codes.tolist(), column.uniques.tolist()
([0, -1, 0, -1], ['DI50'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Values that mean "missing" in exports (SAS writes "." for a missing number, R "NA").
MISSING_TEXT = frozenset({"", ".", "na", "nan", "null"})


# The ASCII characters Python's str.strip() removes (it also removes some beyond ASCII).
ASCII_BLANKS = "".join(chr(c) for c in range(128) if chr(c).isspace())
LONGEST_MARKER = max(map(len, MISSING_TEXT))


def is_missing_text(values: pd.Series) -> np.ndarray:
    """Which values are missing: None, or a marker such as ``NA`` (blanks and case ignored)."""
    marker = values.astype("string").str.strip().str.lower().isin(MISSING_TEXT)
    return (values.isna() | marker.fillna(True)).to_numpy(dtype=bool)


def _missing_in_arrow(texts: pa.Array) -> np.ndarray:
    """:func:`is_missing_text` for Arrow text, asking Python only about values that may be
    markers: the short ones once blanks are trimmed, and any not plain ASCII."""
    trimmed = pc.ascii_trim(texts, characters=ASCII_BLANKS)
    short = pc.less_equal(pc.binary_length(trimmed), LONGEST_MARKER)
    maybe = pc.or_(short, pc.invert(pc.string_is_ascii(texts)))
    maybe = pc.fill_null(maybe, True).to_numpy(zero_copy_only=False)
    missing = np.zeros(len(texts), bool)
    if maybe.any():
        candidates = pd.Series(texts.filter(pa.array(maybe)).to_pylist(), dtype=object)
        missing[maybe] = is_missing_text(candidates)
    return missing


@dataclass(frozen=True)
class CodedColumn:
    """One column: a code per row into the column's distinct present values."""

    codes: np.ndarray  # int64 per row; -1 = missing
    uniques: pd.Series  # distinct present values as text (object dtype), RangeIndex

    @classmethod
    def from_values(cls, values: pd.Series) -> CodedColumn:
        """Code a Series of text (``None`` or a missing marker is missing)."""
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        return _dropping_missing(codes.astype(np.int64), pd.Series(uniques, dtype=object))

    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray) -> CodedColumn:
        """Code an Arrow string column (nulls and missing markers are missing)."""
        return ColumnCoder().code(array)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def present(self) -> np.ndarray:
        """Bool per row: a value is there."""
        return self.codes >= 0

    def spread(self, per_unique: Any, fill: Any) -> Any:
        """Per-unique results (array-like, one per unique) as one result per row.

        Args:
            per_unique: a numpy array, pandas extension array or Series aligned with ``uniques``.
            fill: the result for a missing value.
        """
        array = per_unique
        if isinstance(per_unique, pd.Series):
            extension = isinstance(per_unique.dtype, pd.api.extensions.ExtensionDtype)
            array = per_unique.array if extension else per_unique.to_numpy()
        return pd.api.extensions.take(array, self.codes, allow_fill=True, fill_value=fill)

    def counts(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows holding each distinct value (only ``rows``, a bool mask, when given)."""
        codes = self.codes if rows is None else self.codes[rows]
        return np.bincount(codes[codes >= 0], minlength=len(self.uniques))

    def values(self) -> pd.Series:
        """Per-row values as text (``None`` where missing); for small tables."""
        out = np.full(len(self.codes), None, dtype=object)
        present = self.present
        out[present] = self.uniques.to_numpy(dtype=object)[self.codes[present]]
        return pd.Series(out, dtype=object)


def _dropping_missing(codes: np.ndarray, uniques: pd.Series) -> CodedColumn:
    missing = is_missing_text(uniques)
    if not missing.any():
        return CodedColumn(codes, uniques.reset_index(drop=True))
    renumber = np.cumsum(~missing) - 1
    renumber[missing] = -1
    codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
    return CodedColumn(codes, uniques[~missing].reset_index(drop=True))


class ColumnCoder:
    """Codes one column batch by batch, giving the codes that coding it whole gives.

    Distinct values are numbered in order of first appearance, so each batch's
    ``uniques`` extend the previous batch's: a code, and a verdict on the value
    behind it, stays valid for every later batch. That is what lets ingestion check
    and write a large extract in batches while checking each distinct value once.
    """

    def __init__(self) -> None:
        self._seen = pa.array([], pa.string())  # every distinct text met, missing markers too
        self._code_of_seen = np.zeros(0, np.int64)  # its code; -1 for a missing marker
        self.uniques = pd.Series([], dtype=object)  # distinct present values so far

    def code(self, array: pa.Array | pa.ChunkedArray) -> CodedColumn:
        """Code the next batch of the column (Arrow text; nulls and missing markers missing).

        Rows holding a value met before are looked up among those values; only the rest
        are dictionary-encoded (in a later batch of a large file, few or none).
        """
        if array.type != pa.string():
            array = array.cast(pa.string())
        if not len(self._seen):
            return CodedColumn(self._code_new(array), self.uniques)
        where = pc.index_in(array, value_set=self._seen)  # null: not met (or null)
        position = pc.fill_null(where, -1).to_numpy(zero_copy_only=False)
        codes = self._code_of_seen.take(position)  # position -1 takes the last: reset below
        if not where.null_count:  # every row holds a value met before
            return CodedColumn(codes, self.uniques)
        unmet = position < 0
        codes[unmet] = -1
        if array.null_count:
            unmet &= array.is_valid().to_numpy(zero_copy_only=False)
        if unmet.any():
            codes[unmet] = self._code_new(array.filter(pa.array(unmet)))
        return CodedColumn(codes, self.uniques)

    def _code_new(self, array: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Codes of rows holding no value met before (nulls: -1), numbering their values."""
        fresh, indices = _dictionary_encode(array)  # in order of first appearance
        mapping = self._numbered(fresh)
        rows = indices.to_numpy(zero_copy_only=False)
        return np.asarray(pd.api.extensions.take(mapping, rows, allow_fill=True, fill_value=-1))

    def _numbered(self, fresh: pa.Array) -> np.ndarray:
        """Number texts not met before (a missing marker gets -1); their codes."""
        missing = _missing_in_arrow(fresh)
        codes = np.full(len(fresh), -1, np.int64)
        codes[~missing] = len(self.uniques) + np.arange(int((~missing).sum()))
        self._seen = pa.concat_arrays([self._seen, fresh])
        self._code_of_seen = np.concatenate([self._code_of_seen, codes])
        if not missing.all():
            kept = fresh.filter(pa.array(~missing))
            texts = pd.Series(kept.to_numpy(zero_copy_only=False), dtype=object)
            self.uniques = pd.concat([self.uniques, texts], ignore_index=True)
        return codes


def _dictionary_encode(array: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """An Arrow text column's distinct values (first appearance first) and a code per row
    (-1 for null)."""
    if array.type != pa.string():
        array = array.cast(pa.string())
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        if encoded.num_chunks == 0:
            return pa.array([], pa.string()), pa.array([], pa.int64())
        # Chunks share a growing dictionary: the last chunk's is the whole of it.
        dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
        indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks], pa.int32())
        return dictionary, pc.fill_null(indices, -1).combine_chunks().cast(pa.int64())
    return encoded.dictionary, pc.fill_null(encoded.indices, -1).cast(pa.int64())


@dataclass(frozen=True)
class ColumnSample:
    """A column's distinct present values and how many rows hold each: enough to infer a type."""

    values: pd.Series  # distinct present values (text)
    counts: np.ndarray  # rows per value


@dataclass(frozen=True)
class CodedTable:
    """An extract's rows, all as text, one :class:`CodedColumn` per file column."""

    columns: dict[str, CodedColumn]  # file column name -> column, in file order
    source_rows: np.ndarray  # int64 per row: its 1-based data-row number in the file
    # Bool per row: the row had more or fewer fields than the header (CSV only).
    ragged: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __post_init__(self) -> None:
        if len(self.ragged) != len(self.source_rows):
            object.__setattr__(self, "ragged", np.zeros(len(self.source_rows), bool))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, field_counts: pd.Series | None = None) -> CodedTable:
        """Code a frame of text indexed by 1-based source row (as :func:`read_extract` gives)."""
        columns = {str(name): CodedColumn.from_values(frame[name]) for name in frame.columns}
        ragged = np.zeros(len(frame), bool)
        if field_counts is not None and len(field_counts):
            ragged = frame.index.isin(field_counts.index)
        rows = np.asarray(frame.index, dtype=np.int64)
        return cls(columns, rows, ragged)

    @property
    def rows(self) -> int:
        """Data rows."""
        return len(self.source_rows)

    @property
    def names(self) -> list[str]:
        """Column names, in file order."""
        return list(self.columns)

    def slice(self, start: int, stop: int) -> CodedTable:
        """Rows ``start`` to ``stop`` (0-based, ``stop`` excluded), with the same uniques."""
        columns = {
            name: CodedColumn(column.codes[start:stop], column.uniques)
            for name, column in self.columns.items()
        }
        return CodedTable(columns, self.source_rows[start:stop], self.ragged[start:stop])

    def renamed(self, renames: Mapping[str, str]) -> CodedTable:
        """The same table with some columns renamed (order kept)."""
        columns = {renames.get(name, name): column for name, column in self.columns.items()}
        return CodedTable(columns, self.source_rows, self.ragged)

    def sample(self, name: str) -> ColumnSample:
        """Distinct values of a column with their row counts, rows of the wrong width left out
        (their values may sit under the wrong column)."""
        column = self.columns[name]
        counts = column.counts(~self.ragged if self.ragged.any() else None)
        held = counts > 0
        return ColumnSample(column.uniques[held].reset_index(drop=True), counts[held])
